"""Who may see and change what: the roles file, the three roles, and row scope.

The roles file is TOML, named by $CX_ROLES (default .streamlit/roles.toml):

    [roles]                      # e-mail addresses, "@domain" entries, or "*" for anyone signed in
    viewer = ["@example.com"]
    editor = ["ana@example.com"]
    admin  = ["lee@example.com"]

    [groups]                     # optional: roles from the identity provider's groups claim
    claim  = "groups"
    editor = ["cx-editors"]

    [scopes.viewer]              # optional: a role, e-mail, "@domain" or "group:NAME" sees only these customers
    region = ["Europe"]

The most specific entry decides: an e-mail address beats a group, a group beats
an "@domain", which beats "*". Among entries equally specific, the highest role
wins. Pure: the dashboard (cx.app.auth) and the command line (cx.cli.access)
both ask this module, so they can never disagree.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("viewer", "editor", "admin")  # each role can do everything the ones before it can
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROLES_FILE = PROJECT_ROOT / ".streamlit" / "roles.toml"
SCOPE_FIELDS = ("segment", "region", "plan")  # customer fields a scope may limit; "attr.NAME" for attributes
ATTRIBUTE_PREFIX = "attr."
DEFAULT_GROUPS_CLAIM = "groups"

# What each role may do, in words for messages ("importing files needs the editor role").
NEEDS = {
    "viewer": "seeing the dashboard",
    "editor": "importing files, undoing your own imports, follow-ups, annotations and decks",
    "admin": "undoing anyone's import, the audit log, settings and masking rules",
}

Scope = tuple[tuple[str, tuple[str, ...]], ...]  # field -> allowed values, sorted; () = every customer


class RolesFileError(ValueError):
    """The roles file exists but cannot be used: nobody gets a role until it is fixed (fail closed)."""


@dataclass(frozen=True)
class Person:
    """Someone using the dashboard or the command line, with what the roles file gives them."""

    email: str  # lower-case; for the local user, their login name
    name: str = ""
    role: str | None = None  # None: signed in, but the roles file gives them nothing
    scope: Scope = ()
    groups: tuple[str, ...] = ()
    local: bool = False  # local mode: no sign-in configured, one user, admin

    @property
    def label(self) -> str:
        """'Ana Lima (ana@example.com)' or just the e-mail."""
        return f"{self.name} ({self.email})" if self.name and self.name != self.email else self.email

    def has(self, role: str) -> bool:
        """True when this person's role is `role` or above it."""
        return self.role is not None and rank(self.role) >= rank(role)


def rank(role: str) -> int:
    if role not in ROLES:
        raise ValueError(f'Unknown role "{role}"; the roles are {", ".join(ROLES)}.')
    return ROLES.index(role)


@dataclass(frozen=True)
class RolesConfig:
    path: Path
    entries: Mapping[str, str] = field(default_factory=dict)  # e-mail, "@domain" or "*" -> role
    groups: Mapping[str, str] = field(default_factory=dict)  # group name -> role
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    scopes: Mapping[str, Scope] = field(default_factory=dict)  # role, e-mail, "@domain", "group:NAME" -> scope

    def role_for(self, email: str | None, groups: Iterable[str] = ()) -> str | None:
        """The role of this e-mail address and these groups; None when nothing in the file names them."""
        email = (email or "").strip().lower()
        groups = {g for g in groups}
        levels = [
            [self.entries[email]] if email and email in self.entries else [],
            [self.groups[g] for g in groups if g in self.groups],
            [self.entries[domain]] if (domain := _domain(email)) and domain in self.entries else [],
            [self.entries["*"]] if email and "*" in self.entries else [],
        ]
        for matched in levels:
            if matched:
                return max(matched, key=rank)
        return None

    def scope_for(self, email: str | None, role: str | None, groups: Iterable[str] = ()) -> Scope:
        """The customers this person may see; () means all. Most specific entry first, like roles."""
        email = (email or "").strip().lower()
        levels = [
            [email],
            [f"group:{g}" for g in groups],
            [_domain(email)],
            [role or ""],
        ]
        for keys in levels:
            found = [self.scopes[k] for k in keys if k and k in self.scopes]
            if found:
                return _union(found)
        return ()

    def person(self, email: str | None, *, name: str = "", groups: Iterable[str] = ()) -> Person:
        groups = tuple(sorted({str(g) for g in groups}))
        role = self.role_for(email, groups)
        scope = self.scope_for(email, role, groups) if role else ()
        return Person(email=(email or "").strip().lower(), name=name, role=role, scope=scope, groups=groups)


def _domain(email: str) -> str:
    return "@" + email.rpartition("@")[2] if "@" in email else ""


def _union(scopes: list[Scope]) -> Scope:
    """Several equally specific scopes (two groups) combine: values of the same field add up
    (Europe and Asia), and a field that only some of them limit stays limited: never wider than asked."""
    combined: dict[str, set[str]] = {}
    for scope in scopes:
        for name, values in scope:
            combined.setdefault(name, set()).update(values)
    return tuple(sorted((name, tuple(sorted(values))) for name, values in combined.items()))


def roles_file() -> Path:
    """$CX_ROLES, else .streamlit/roles.toml in the project."""
    chosen = os.environ.get("CX_ROLES")
    return Path(chosen).expanduser().resolve() if chosen else DEFAULT_ROLES_FILE


_loaded: dict[Path, tuple[tuple[int, int], RolesConfig | RolesFileError]] = {}


def load_roles(path: Path | None = None) -> RolesConfig | None:
    """The roles file, re-read when it changes; None when there is none. Raises RolesFileError if unusable."""
    path = path or roles_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(path)
    if cached is None or cached[0] != stamp:
        try:
            cached = (stamp, parse_roles(path.read_text(encoding="utf-8"), path))
        except RolesFileError as error:
            cached = (stamp, error)
        _loaded[path] = cached
    if isinstance(cached[1], RolesFileError):
        raise cached[1]
    return cached[1]


def parse_roles(text: str, path: Path = DEFAULT_ROLES_FILE) -> RolesConfig:
    """Read the roles file; every mistake is named with its place in the file."""
    where = path.name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RolesFileError(f"{where} is not valid TOML: {error}.") from None
    unknown = set(data) - {"roles", "groups", "scopes"}
    if unknown:
        raise RolesFileError(f"{where} has unknown section(s) {', '.join(sorted(unknown))}; "
                             "it may have [roles], [groups] and [scopes].")  # fmt: skip
    entries: dict[str, str] = {}
    for role, names in _role_lists(data.get("roles", {}), f"{where} [roles]"):
        for name in names:
            entry = name.strip().lower()
            if not (entry == "*" or entry.startswith("@") or "@" in entry[1:]):
                raise RolesFileError(f'{where} [roles] {role}: "{name}" is neither an e-mail address, '
                                     'an "@domain" nor "*".')  # fmt: skip
            if entry in entries and rank(entries[entry]) >= rank(role):
                continue  # listed twice: the higher role counts
            entries[entry] = role
    groups_table = dict(data.get("groups", {}))
    claim = groups_table.pop("claim", DEFAULT_GROUPS_CLAIM)
    if not isinstance(claim, str) or not claim:
        raise RolesFileError(f'{where} [groups] claim must be the name of a claim, such as "groups".')
    groups: dict[str, str] = {}
    for role, names in _role_lists(groups_table, f"{where} [groups]"):
        for name in names:
            if name not in groups or rank(role) > rank(groups[name]):
                groups[name] = role
    scopes: dict[str, Scope] = {}
    for key, limits in dict(data.get("scopes", {})).items():
        scopes[_scope_key(key, where)] = _scope(limits, f"{where} [scopes.{key}]")
    return RolesConfig(path=path, entries=entries, groups=groups, groups_claim=claim, scopes=scopes)


def _role_lists(table: object, where: str) -> list[tuple[str, list[str]]]:
    if not isinstance(table, dict):
        raise RolesFileError(f"{where} must be a table of role = [list].")
    lists = []
    for role, names in table.items():
        if role not in ROLES:
            raise RolesFileError(f'{where}: "{role}" is not a role; the roles are {", ".join(ROLES)}.')
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise RolesFileError(f"{where} {role} must be a list of strings.")
        lists.append((role, names))
    return lists


def _scope_key(key: str, where: str) -> str:
    lowered = key.strip().lower()
    if key in ROLES or key.startswith("group:"):
        return key
    if lowered.startswith("@") or "@" in lowered:
        return lowered
    raise RolesFileError(f'{where} [scopes.{key}]: the key must be a role, an e-mail address, an "@domain" '
                         'or "group:NAME".')  # fmt: skip


def _scope(limits: object, where: str) -> Scope:
    if not isinstance(limits, dict) or not limits:
        raise RolesFileError(f"{where} must list at least one field = [values].")
    scope = {}
    for name, values in limits.items():
        if name not in SCOPE_FIELDS and not name.startswith(ATTRIBUTE_PREFIX):
            raise RolesFileError(f'{where}: "{name}" cannot limit a scope; use {", ".join(SCOPE_FIELDS)} '
                                 f'or "{ATTRIBUTE_PREFIX}NAME" for a customer attribute.')  # fmt: skip
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise RolesFileError(f"{where} {name} must be a non-empty list of values.")
        scope[name] = tuple(sorted(set(values)))
    return tuple(sorted(scope.items()))


def describe_scope(scope: Scope) -> str:
    """'Region: Europe · Segment: SMB, Mid-market', for the sidebar and messages."""
    return " · ".join(
        f"{name.removeprefix(ATTRIBUTE_PREFIX).replace('_', ' ').capitalize()}: {', '.join(values)}"
        for name, values in scope
    )


def may_undo(person: Person, imported_by: str | None) -> bool:
    """Admins undo anything; editors only what they imported themselves."""
    if person.has("admin"):
        return True
    return person.has("editor") and bool(imported_by) and (imported_by or "").strip().lower() == person.email


def refusal(person: Person, role: str, action: str) -> str:
    """The message for someone whose role does not allow `action`: names their role and the one needed."""
    who = person.label or "You"
    if person.role is None:
        return f"{who} has no role on this dashboard, and {action} needs the {role} role. Ask an admin to add you."
    article = "an" if person.role[0] in "aeiou" else "a"
    return f"{who} is {article} {person.role}; {action} needs the {role} role. Ask an admin if you should have it."
