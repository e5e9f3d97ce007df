"""Generated workout programs: the Django side of ``rules`` (and ``llm`` when configured).

A request becomes a pending ``Program`` owned by the user; a worker (``run_program``) reads
the exercise catalogue the user can see, lays out the slots, lets the LLM choose among each
slot's candidates when ``OPENAI_API_KEY`` is set (its choice validated by the same rules; any
failure falls back to the rules' own picks and is recorded), and writes one private workout
per session and week plus a program day for every day. The program and its workouts are
ordinary rows with ``owner`` set: the user reads, edits and enrolls in them like any other.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q

from fitcore import llm
from fitcore.api.tasks import enqueue_after_commit
from users.models import User

from ..models import Exercise, GenerationStatus, Program, ProgramDay, Workout, WorkoutExercise
from . import llm as program_llm
from . import rules

logger = logging.getLogger(__name__)

GENERATOR = "fitcore-program-rules"
GENERATOR_VERSION = "1.0"


def exercise_facts(user: User) -> list[rules.ExerciseFacts]:
    """FitCore's exercises and the user's tenant's, as the rules read them (one query)."""
    rows = (
        Exercise.objects.filter(Q(tenant__isnull=True) | Q(tenant_id=user.tenant_id))
        .values_list(
            "id", "name", "equipment", "movement_pattern", "mechanics", "level", "primary_muscles", "category__slug"
        )
        .order_by("id")
    )
    return [
        rules.ExerciseFacts(
            id=row[0],
            name=row[1],
            equipment=row[2],
            movement_pattern=row[3],
            mechanics=row[4],
            level=row[5],
            primary_muscles=tuple(row[6] or ()),
            category=row[7] or "",
        )
        for row in rows
    ]


def request_program(*, user: User, request: dict[str, Any], enqueue: bool = True) -> Program:
    """A pending program owned by ``user``; the task builds it (``run_program``)."""
    seed = request.get("seed")
    if seed is None:
        seed = secrets.randbelow(2**31)
    stored = {
        **{key: value for key, value in request.items() if key != "equipment"},
        "equipment": sorted(request.get("equipment") or ()),
        "seed": seed,
    }
    program = Program.objects.create(
        tenant_id=user.tenant_id,
        owner=user,
        title=f"Your {request['weeks']}-week program",
        description="Being generated.",
        weeks=request["weeks"],
        difficulty=request["experience"],
        goals=[request["goal"]],
        published=False,
        source=Program.Source.GENERATOR,
        generation_status=GenerationStatus.PENDING,
        generation={"generator": GENERATOR, "version": GENERATOR_VERSION, "request": stored, "seed": seed},
    )
    if enqueue:  # False: the caller runs it (run_program) itself, as the demo data does
        from ..tasks import generate_program  # the task module imports this one

        enqueue_after_commit(generate_program, program_id=program.pk)
    return program


def _program_request(stored: dict[str, Any]) -> rules.ProgramRequest:
    return rules.ProgramRequest(
        weeks=stored["weeks"],
        days_per_week=stored["days_per_week"],
        session_minutes=stored["session_minutes"],
        goal=stored["goal"],
        equipment=frozenset(stored.get("equipment") or ()),
        experience=stored["experience"],
        seed=int(stored["seed"]),
    )


def _llm_choice(
    *, facts: list[rules.ExerciseFacts], request: rules.ProgramRequest, slots: list[rules.Slot], program_id: int
) -> tuple[dict[str, int] | None, dict[str, str] | None, dict[str, Any]]:
    if not llm.enabled():
        return None, None, {"used": False, "reason": "disabled"}
    names = {fact.id: fact.name for fact in facts}
    summary = {
        "weeks": request.weeks,
        "days_per_week": request.days_per_week,
        "session_minutes": request.session_minutes,
        "goal": request.goal,
        "experience": request.experience,
        "equipment": sorted(request.equipment),
    }
    try:
        choice = program_llm.choose(slots=slots, names=names, request=summary)
        problems = rules.validate_choices(slots, choice.choices)
        if problems:
            raise llm.LLMFailure("invalid", "; ".join(problems)[:200], meta=choice.meta)
    except llm.LLMFailure as failure:
        logger.info("program %s: LLM fell back to the rules (%s)", program_id, failure.kind)
        return (
            None,
            None,
            {
                "used": False,
                "fallback": True,
                "failure": {"kind": failure.kind, "detail": failure.detail},
                "model": llm.default_model(),
                "prompt_version": program_llm.PROMPT_VERSION,
            },
        )
    meta = {key: value for key, value in choice.meta.items() if key != "prompt_version"}
    return choice.choices, choice.notes, {"used": True, "prompt_version": program_llm.PROMPT_VERSION, **meta}


def _write(program: Program, spec: rules.ProgramSpec, request: rules.ProgramRequest) -> None:
    owner = program.owner
    equipment_of = dict(
        Exercise.objects.filter(pk__in={e.exercise_id for day in spec.days for e in day.exercises}).values_list(
            "id", "equipment"
        )
    )
    workouts: list[Workout] = []
    training_days = [day for day in spec.days if day.session is not None]
    for day in training_days:
        needed = sorted({equipment_of.get(e.exercise_id) or "body_only" for e in day.exercises} - {""})
        workouts.append(
            Workout(
                tenant_id=program.tenant_id,
                owner=owner,
                title=day.title[:200],
                description=day.notes[:2000],
                duration_minutes=max(1, min(600, day.estimated_minutes or request.session_minutes)),
                difficulty=spec.difficulty,
                goals=list(spec.goals),
                equipment=needed,
                published=False,
            )
        )
    Workout.objects.bulk_create(workouts)
    by_day = {day.day_number: workout for day, workout in zip(training_days, workouts, strict=True)}
    WorkoutExercise.objects.bulk_create(
        WorkoutExercise(
            tenant_id=program.tenant_id,
            workout=by_day[day.day_number],
            exercise_id=exercise.exercise_id,
            position=index,
            target_sets=exercise.sets,
            target_reps=exercise.reps,
            target_duration_seconds=exercise.duration_seconds,
            rest_seconds=exercise.rest_seconds,
            warmup_sets=exercise.warmup_sets,
        )
        for day in training_days
        for index, exercise in enumerate(day.exercises, start=1)
    )
    ProgramDay.objects.bulk_create(
        ProgramDay(
            tenant_id=program.tenant_id,
            program=program,
            day_number=day.day_number,
            workout=by_day.get(day.day_number),
            notes=day.notes[:500],
        )
        for day in spec.days
    )


def run_program(*, program_id: int) -> None:
    """The task's body: build a pending program, or record why it failed. Safe to run twice."""
    failure: str | None = None
    with transaction.atomic():
        program = Program.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=program_id).first()
        if program is None or program.generation_status != GenerationStatus.PENDING or program.owner is None:
            return
        try:
            _build(program)
        except rules.NoExercises as exc:
            transaction.set_rollback(True)
            failure = f"no usable exercise: {exc}"[:300]
        except Exception as exc:  # recorded on the program: a status the client polls, never a silent hang
            logger.exception("program %s generation failed", program_id)
            transaction.set_rollback(True)
            failure = f"generation failed ({type(exc).__name__})"
    if failure is not None:
        generation = Program.objects.get(pk=program_id).generation
        Program.objects.filter(pk=program_id).update(
            generation_status=GenerationStatus.FAILED, generation={**generation, "error": failure}
        )


def _build(program: Program) -> None:
    if program.owner is None:
        raise ValueError("a generated plan belongs to a user")
    request = _program_request(program.generation["request"])
    facts = exercise_facts(program.owner)
    slots = rules.slots(facts, request)
    choices, notes, llm_record = _llm_choice(facts=facts, request=request, slots=slots, program_id=program.pk)
    spec = rules.generate(facts, request, choices=choices, notes=notes)
    _write(program, spec, request)
    program.title = spec.title[:200]
    program.description = spec.description[:2000]
    program.difficulty = spec.difficulty
    program.goals = list(spec.goals)
    program.generation = {
        **program.generation,
        "llm": llm_record,
        "split": spec.split,
        "explanation": spec.explanation,
        "slots": len(slots),
    }
    program.generation_status = GenerationStatus.READY
    program.save()


def delete_owned_workouts(workout_ids: list[int]) -> None:
    """Private workouts a deleted generated program wrote, once no program day uses them."""
    in_use = ProgramDay.objects.filter(workout_id__in=workout_ids).values("workout_id")
    Workout.objects.filter(pk__in=workout_ids, owner__isnull=False).exclude(pk__in=in_use).delete()
