"""Generated workout programs through the API: generation, privacy, editing, the LLM and its fallback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from conftest import api_key_client_for, jwt_client_for
from fitcore import llm
from users.models import User
from users.tests.factories import UserFactory
from workout.models import Exercise, Program, ProgramDay, Workout, WorkoutExercise

GENERATE = "/api/v1/workouts/programs/generate/"
CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "exercises.json.gz"
REQUEST = {
    "weeks": 4,
    "days_per_week": 3,
    "session_minutes": 60,
    "goal": "strength",
    "equipment": ["dumbbell", "barbell"],
    "experience": "intermediate",
    "seed": 17,
}


def test_a_member_generates_a_private_program_that_follows_the_rules(
    member: Any, post: Any, django_assert_max_num_queries: Any
) -> None:
    client = jwt_client_for(member)
    response = post(client, GENERATE, REQUEST)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status_url"].endswith(f"/api/v1/workouts/programs/{body['program']}/")
    with django_assert_max_num_queries(8):
        detail = client.get(body["status_url"]).json()
    assert detail["generation_status"] == "ready"
    assert detail["owner"] == member.pk
    assert detail["source"] == "generator"
    assert detail["published"] is False
    assert detail["generation"]["request"]["seed"] == 17
    assert detail["generation"]["llm"] == {"used": False, "reason": "disabled"}
    assert [day["day_number"] for day in detail["days"]] == list(range(1, 29))
    training = [day for day in detail["days"] if day["workout"] is not None]
    assert len(training) == 4 * 3  # the owner sees their private workouts
    workouts = Workout.objects.filter(pk__in=[day["workout"] for day in training])
    assert {workout.owner_id for workout in workouts} == {member.pk}
    assert not any(workout.published for workout in workouts)
    used = Exercise.objects.filter(pk__in=WorkoutExercise.objects.filter(workout__in=workouts).values("exercise_id"))
    assert {exercise.equipment for exercise in used} <= {"dumbbell", "barbell", "body_only", ""}
    assert {exercise.level for exercise in used} <= {"beginner", "intermediate"}
    week_patterns = set(used.values_list("movement_pattern", flat=True))
    assert {"push", "pull", "hinge", "squat", "core"} <= week_patterns
    first_day = WorkoutExercise.objects.filter(workout_id=training[0]["workout"]).order_by("position")
    assert first_day[0].warmup_sets == 2 and all(item.warmup_sets == 0 for item in first_day[1:])
    volume = [
        sum(
            item.target_sets
            for item in WorkoutExercise.objects.filter(
                workout_id__in=[d["workout"] for d in training[w * 3 : w * 3 + 3]]
            )
        )
        for w in range(4)
    ]
    assert volume[1] >= volume[0] and volume[3] < volume[2]  # overload, then the deload week


def test_others_cannot_see_it_and_the_owner_edits_but_cannot_publish_it(member: Any, tenant: Any, post: Any) -> None:
    program_id = post(jwt_client_for(member), GENERATE, REQUEST).json()["program"]
    workout_id = ProgramDay.objects.filter(program_id=program_id, workout__isnull=False).values_list(
        "workout_id", flat=True
    )[0]
    neighbour = jwt_client_for(cast(User, UserFactory(tenant=tenant)))
    assert neighbour.get(f"/api/v1/workouts/programs/{program_id}/").status_code == 404
    assert neighbour.get(f"/api/v1/workouts/{workout_id}/").status_code == 404
    assert program_id not in [row["id"] for row in neighbour.get("/api/v1/workouts/programs/").json()["results"]]
    owner = jwt_client_for(member)
    assert program_id in [row["id"] for row in owner.get("/api/v1/workouts/programs/").json()["results"]]
    renamed = owner.patch(f"/api/v1/workouts/programs/{program_id}/", {"title": "My block"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["title"] == "My block"
    refused = owner.patch(f"/api/v1/workouts/programs/{program_id}/", {"published": True}, format="json")
    assert refused.status_code == 400
    assert owner.patch(f"/api/v1/workouts/{workout_id}/", {"published": True}, format="json").status_code == 400
    assert owner.patch(f"/api/v1/workouts/{workout_id}/", {"title": "Heavy day"}, format="json").status_code == 200
    # The tenant's API key manages it like any tenant row.
    assert api_key_client_for(tenant).get(f"/api/v1/workouts/programs/{program_id}/").status_code == 200
    enrolled = owner.post(f"/api/v1/workouts/programs/{program_id}/enroll/", {}, format="json")
    assert enrolled.status_code == 201


def test_deleting_it_removes_its_private_workouts(member: Any, post: Any) -> None:
    program_id = post(jwt_client_for(member), GENERATE, REQUEST).json()["program"]
    workout_ids = list(
        ProgramDay.objects.filter(program_id=program_id, workout__isnull=False).values_list("workout_id", flat=True)
    )
    assert jwt_client_for(member).delete(f"/api/v1/workouts/programs/{program_id}/").status_code == 204
    assert not Workout.objects.filter(pk__in=workout_ids).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weeks": 3}, "weeks"),
        ({"weeks": 13}, "weeks"),
        ({"days_per_week": 7}, "days_per_week"),
        ({"equipment": ["spaceship"]}, "equipment"),
        ({"goal": "fame"}, "goal"),
        ({"experience": "wizard"}, "experience"),
        ({"session_minutes": 500}, "session_minutes"),
    ],
)
def test_bad_requests_are_400_problems(member: Any, post: Any, change: dict, field: str) -> None:
    response = post(jwt_client_for(member), GENERATE, {**REQUEST, **change})
    assert response.status_code == 400
    assert any(error["field"].startswith(field) for error in response.json()["errors"])
    assert not Program.objects.filter(owner=member).exists()


def test_premium_for_members_and_for_their_users_by_api_key(tenant: Any, catalogue: int, post: Any) -> None:
    free = cast(User, UserFactory(tenant=tenant))
    response = post(jwt_client_for(free), GENERATE, REQUEST)
    assert (response.status_code, response.json()["code"]) == (403, "subscription_required")
    accepted = post(api_key_client_for(tenant), GENERATE, {**REQUEST, "user": free.pk})
    assert accepted.status_code == 202
    assert Program.objects.get(pk=accepted.json()["program"]).owner == free


def test_the_same_request_and_seed_give_the_same_program(member: Any, post: Any) -> None:
    client = jwt_client_for(member)

    def exercises(program_id: int) -> list[tuple[int, int, int, int | None]]:
        return list(
            WorkoutExercise.objects.filter(
                workout__in=ProgramDay.objects.filter(program_id=program_id).values("workout")
            )
            .order_by("workout__title", "position")
            .values_list("exercise_id", "position", "target_sets", "target_reps")
        )

    first = post(client, GENERATE, REQUEST).json()["program"]
    second = post(client, GENERATE, REQUEST).json()["program"]
    assert exercises(first) == exercises(second)


def _choose_reply(request: httpx.Request, *, break_it: bool = False) -> httpx.Response:
    data = json.loads(json.loads(request.content)["messages"][-1]["content"])
    choices, notes = [], []
    for session in data["sessions"]:
        for slot in session["slots"]:
            pick = slot["candidates"][-1]["id"]  # not the rules' own first pick
            choices.append({"slot": slot["key"], "exercise_id": 999999999 if break_it else pick})
        notes.append({"session": session["session"], "note": "Brace before every rep."})
    content = json.dumps({"choices": choices, "notes": notes})
    return httpx.Response(
        200,
        json={
            "id": "c1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-test-2026",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
    )


def test_with_an_llm_its_valid_choices_and_notes_are_used(member: Any, post: Any, settings: Any) -> None:
    settings.OPENAI_API_KEY = "sk-test"
    with llm.use_http_client(httpx.Client(transport=httpx.MockTransport(_choose_reply))):
        response = post(jwt_client_for(member), GENERATE, REQUEST)
    program = Program.objects.get(pk=response.json()["program"])
    assert program.generation_status == "ready"
    assert program.generation["llm"]["used"] is True
    assert program.generation["llm"]["model"] == "gpt-test-2026"
    assert any("Brace before every rep." in day.notes for day in ProgramDay.objects.filter(program=program))


def test_an_invalid_llm_choice_falls_back_to_the_rules(member: Any, post: Any, settings: Any) -> None:
    settings.OPENAI_API_KEY = "sk-test"
    transport = httpx.MockTransport(lambda request: _choose_reply(request, break_it=True))
    with llm.use_http_client(httpx.Client(transport=transport)):
        response = post(jwt_client_for(member), GENERATE, REQUEST)
    assert response.status_code == 202
    program = Program.objects.get(pk=response.json()["program"])
    assert program.generation_status == "ready"
    assert program.generation["llm"]["fallback"] is True
    assert program.generation["llm"]["failure"]["kind"] == "invalid"
    assert ProgramDay.objects.filter(program=program, workout__isnull=False).count() == 12


def test_no_usable_exercise_fails_the_generation_visibly(tenant: Any, post: Any) -> None:
    user = cast(User, UserFactory(tenant=tenant))
    response = post(api_key_client_for(tenant), GENERATE, {**REQUEST, "user": user.pk})
    assert response.status_code == 202
    program = Program.objects.get(pk=response.json()["program"])
    assert program.generation_status == "failed"
    assert program.generation["error"].startswith("no usable exercise")
