"""The roles file: who gets which role and scope, and mistakes named with their place."""

from __future__ import annotations

import pytest

from cx import access
from cx.access import Person, RolesFileError, parse_roles

ROLES = """
[roles]
viewer = ["@example.com", "*"]
editor = ["Ana@Example.com", "@cx.example.com"]
admin  = ["lee@example.com"]

[groups]
claim  = "roles"
editor = ["cx-editors"]
admin  = ["cx-admins"]

[scopes.viewer]
region = ["Europe"]

[scopes."@partner.example"]
segment = ["SMB"]

[scopes."group:emea"]
region = ["Europe", "Middle East"]

[scopes."group:apac"]
region = ["Asia"]
plan = ["Pro"]
"""


@pytest.fixture
def config():
    return parse_roles(ROLES)


def test_an_email_in_the_file_gets_its_role_whatever_its_case(config):
    assert config.role_for("ana@example.com") == "editor"
    assert config.role_for("LEE@example.com") == "admin"


def test_an_address_beats_its_domain_even_when_the_domain_has_a_higher_role():
    config = parse_roles('[roles]\nadmin = ["@example.com"]\nviewer = ["intern@example.com"]\n')
    assert config.role_for("intern@example.com") == "viewer"
    assert config.role_for("boss@example.com") == "admin"


def test_a_domain_entry_covers_everyone_at_that_domain_but_not_its_look_alikes(config):
    assert config.role_for("sam@cx.example.com") == "editor"
    assert config.role_for("sam@example.com") == "viewer"
    assert config.role_for("sam@evil-example.com") == "viewer"  # only through "*"


def test_nobody_listed_gets_no_role_when_there_is_no_star():
    config = parse_roles('[roles]\neditor = ["ana@example.com"]\n')
    assert config.role_for("stranger@elsewhere.org") is None
    assert config.person("stranger@elsewhere.org").has("viewer") is False


def test_a_group_from_the_identity_provider_gives_its_role_and_beats_a_domain(config):
    assert config.groups_claim == "roles"
    assert config.role_for("sam@example.com", groups=["cx-admins"]) == "admin"
    assert config.role_for("", groups=["cx-editors"]) == "editor"


def test_the_highest_of_several_groups_wins(config):
    assert config.role_for("x@y.org", groups=["cx-editors", "cx-admins"]) == "admin"


def test_a_role_scope_applies_to_everyone_with_that_role(config):
    assert config.person("sam@example.com").scope == (("region", ("Europe",)),)
    assert config.person("ana@example.com").scope == ()  # editors are not limited


def test_a_domain_scope_is_more_specific_than_the_role_scope(config):
    assert config.person("kim@partner.example").scope == (("segment", ("SMB",)),)


def test_two_group_scopes_add_up_their_values_and_keep_every_limit(config):
    person = config.person("x@example.com", groups=["emea", "apac"])
    assert dict(person.scope) == {"region": ("Asia", "Europe", "Middle East"), "plan": ("Pro",)}


def test_roles_go_up_viewer_editor_admin():
    admin, editor, viewer = (Person("a@x", role=r) for r in ("admin", "editor", "viewer"))
    assert admin.has("editor") and admin.has("viewer") and editor.has("viewer")
    assert not viewer.has("editor") and not editor.has("admin")


def test_an_editor_may_undo_only_their_own_imports_and_an_admin_any():
    editor, admin = Person("ana@example.com", role="editor"), Person("lee@example.com", role="admin")
    assert access.may_undo(editor, "ana@example.com") and access.may_undo(editor, " Ana@example.com ")
    assert not access.may_undo(editor, "lee@example.com") and not access.may_undo(editor, None)
    assert access.may_undo(admin, "ana@example.com") and access.may_undo(admin, None)
    assert not access.may_undo(Person("v@example.com", role="viewer"), "v@example.com")


def test_the_refusal_names_the_persons_role_and_the_role_needed():
    message = access.refusal(Person("v@example.com", role="viewer"), "editor", "importing files")
    assert message.startswith("v@example.com is a viewer; importing files needs the editor role")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[roles]\nboss = ['a@b.c']\n", '"boss" is not a role'),
        ("[roles]\nviewer = ['everyone']\n", '"everyone" is neither an e-mail address'),
        ("[roles]\nviewer = 'a@b.c'\n[scopes.viewer]\ncountry = ['FR']\n", '"country" cannot limit a scope'),
        ("[roles\n", "is not valid TOML"),
        ("[people]\n", "unknown section(s) people"),
        ("[scopes.viewer]\nregion = []\n", "region must be a non-empty list"),
    ],
)
def test_a_mistake_in_the_roles_file_is_named_with_its_place(text, expected):
    with pytest.raises(RolesFileError, match=None) as raised:
        parse_roles(text)
    assert expected in str(raised.value)


def test_the_file_is_found_through_cx_roles_and_reread_when_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "roles.toml"
    monkeypatch.setenv("CX_ROLES", str(path))
    assert access.load_roles() is None  # no file: no roles file mode
    path.write_text('[roles]\nviewer = ["ana@example.com"]\n')
    assert access.load_roles().role_for("ana@example.com") == "viewer"
    path.write_text('[roles]\neditor = ["ana@example.com", "sam@example.com"]\n')
    assert access.load_roles().role_for("ana@example.com") == "editor"
    path.write_text("[roles]\nnobody = []\n")
    with pytest.raises(RolesFileError):
        access.load_roles()
