"""One canonical form per email address: look-alike spellings never make a second account.

``alice@acme.example`` exists; every variant below must either be refused (400) or be
recognised as the same address (400 ``email_taken``) on every path that creates a user,
and may never produce a 500 (Python's lower() and PostgreSQL's LOWER() disagree on some
letters, so nothing compares emails with either any more).
"""

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from conftest import api_key_client_for
from users.emails import InvalidEmail, canonical_email
from users.models import Tenant, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
STRONG = "a-Quite-long-passphrase-42"
ALICE = "alice@acme.example"

# Spelled as escapes, so no reader of this file is fooled either.
INVISIBLE = {
    "zero-width space in domain": "alice@acme\u200b.example",
    "zero-width space in local part": "ali\u200bce@acme.example",
    "soft hyphen": "alice@ac\u00adme.example",
    "variation selector": "alice\ufe0f@acme.example",
    "variation selector in domain": "alice@acme.exam\ufe0eple",
    "zero-width joiner": "ali\u200dce@acme.example",
    "word joiner": "alice@acme\u2060.example",
    "byte order mark": "\ufeffalice@acme.example",
    "right-to-left override": "alice@\u202eacme.example",
    "combining grapheme joiner": "alic\u034fe@acme.example",
    "hangul filler": "alice\u3164@acme.example",
    "tag character": "alice@acme.example\U000e0041",
    "control character": "alice\x07@acme.example",
    "no-break space": "alice\u00a0@acme.example",
}
SAME_ADDRESS = {
    "upper case": "ALICE@ACME.EXAMPLE",
    "mixed case": "Alice@Acme.Example",
    "fullwidth letter in domain": "alice@\uff41cme.example",
    "fullwidth local part": "\uff41lice@acme.example",
    "fullwidth at sign": "alice\uff20acme.example",
}
QUOTED_OR_LITERAL = {
    # A mail server delivers these to alice@acme.example, so they are spellings of that mailbox.
    "quoted": '"alice"@acme.example',
    "quoted pair": '"al\\ice"@acme.example',
    "quoted upper": '"ALICE"@acme.example',
    "quoted with a dot": '"ali.ce"@acme.example',
    "ip literal domain": "alice@[127.0.0.1]",
    "leading dot": ".alice@acme.example",
    "double dot": "al..ice@acme.example",
}
NON_ASCII_LOCAL = {
    "dotless i": "al\u0131ce@acme.example",
    "dotted capital I": "AL\u0130CE@acme.example",
    "combining dot": "ali\u0307ce@acme.example",
    "cyrillic a": "\u0430lice@acme.example",
}


@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_characters_are_refused(value: str) -> None:
    with pytest.raises(InvalidEmail):
        canonical_email(value)


@pytest.mark.parametrize("value", SAME_ADDRESS.values(), ids=SAME_ADDRESS.keys())
def test_compatibility_and_case_variants_are_the_same_address(value: str) -> None:
    assert canonical_email(value) == ALICE


@pytest.mark.parametrize("value", QUOTED_OR_LITERAL.values(), ids=QUOTED_OR_LITERAL.keys())
def test_only_dot_atoms_at_host_names(value: str) -> None:
    with pytest.raises(InvalidEmail):
        canonical_email(value)


@pytest.mark.parametrize("value", NON_ASCII_LOCAL.values(), ids=NON_ASCII_LOCAL.keys())
def test_a_local_part_must_be_ascii_after_normalisation(value: str) -> None:
    with pytest.raises(InvalidEmail):
        canonical_email(value)


def test_case_insensitive_regex_quirks_map_to_their_ascii_letters() -> None:
    # Django's validator lets these in through re.IGNORECASE; NFKC makes them plain letters.
    assert canonical_email("\u212aate@acme.example") == "kate@acme.example"  # Kelvin sign
    assert canonical_email("ro\u017fa@acme.example") == "rosa@acme.example"  # long s


def test_domains_are_stored_in_idna_form() -> None:
    assert canonical_email("Jo@B\u00fccher.Example") == "jo@xn--bcher-kva.example"
    assert canonical_email("jo@xn--bcher-kva.example") == "jo@xn--bcher-kva.example"


@pytest.mark.parametrize("value", ["alice", "@acme.example", "alice@", "alice@acme.example.", "a" * 65 + "@x.example"])
def test_malformed_addresses_have_no_canonical_form(value: str) -> None:
    with pytest.raises(InvalidEmail):
        canonical_email(value)


@pytest.mark.parametrize("value", [ALICE, *SAME_ADDRESS.values()])
def test_canonical_form_is_idempotent(value: str) -> None:
    once = canonical_email(value)
    assert canonical_email(once) == once


# --- every path that creates a user ----------------------------------------------------

VARIANTS = {**INVISIBLE, **SAME_ADDRESS, **NON_ASCII_LOCAL, **QUOTED_OR_LITERAL}


@pytest.fixture
def alice(tenant: Tenant) -> User:
    return UserFactory.create(tenant=tenant, email=ALICE)


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_registration_of_a_look_alike_is_refused(api_client, alice: User, variant: str) -> None:
    response = api_client.post(REGISTER, {"email": variant, "password": STRONG}, HTTP_X_TENANT="acme")

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "email"
    assert User.objects.filter(tenant=alice.tenant).count() == 1
    assert EmailAddress.objects.count() == 0  # the factory made none; no look-alike address was stored


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_partner_created_look_alikes_are_refused(alice: User, variant: str) -> None:
    client = api_key_client_for(alice.tenant, scopes=["users:write"])

    response = client.post("/api/v1/users/", {"email": variant}, format="json")

    assert response.status_code == 400, response.content
    assert User.objects.filter(tenant=alice.tenant).count() == 1


def test_the_same_address_in_another_tenant_is_a_separate_account(alice: User, other_tenant: Tenant) -> None:
    other = UserFactory.create(tenant=other_tenant, email="ALICE@acme.example")

    assert other.email == ALICE and other.pk != alice.pk


def test_the_database_enforces_uniqueness_of_the_stored_form(alice: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(tenant=alice.tenant, email=ALICE)])


def test_every_save_path_stores_the_canonical_form(tenant: Tenant) -> None:
    created = User.objects.create_user("Bob@\uff21CME.example", tenant=tenant)
    assert created.email == "bob@acme.example"

    created.email = "BOB@Acme.Example"
    created.save(update_fields=["email"])
    assert User.objects.get(pk=created.pk).email == "bob@acme.example"


def test_signing_in_with_another_spelling_reaches_the_account(api_client, alice: User) -> None:
    for spelling in ("ALICE@acme.example", "alice@\uff41cme.example"):
        response = api_client.post(
            "/api/v1/auth/login/",
            {"email": spelling, "password": "correct-horse-battery-staple"},
            HTTP_X_TENANT="acme",
        )
        assert response.status_code == 200, (spelling, response.content)


def test_create_tenant_refuses_a_quoted_admin_email(tenant) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--admin-email"):
        call_command("create_tenant", tenant.slug, "--name", tenant.name, "--admin-email", '"ops"@acme.example')
    assert not User.objects.filter(tenant=tenant).exists()


def test_the_staff_admin_refuses_a_quoted_email(tenant, client) -> None:
    staff = UserFactory.create(tenant=Tenant.objects.get(slug="fitcore"), is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(
        "/admin/users/user/add/",
        {"tenant": tenant.pk, "email": '"alice"@acme.example', "usable_password": "false"},
        HTTP_HOST="localhost",
    )

    assert response.status_code == 200  # the form again, with the error
    assert not User.objects.filter(tenant=tenant).exists()
