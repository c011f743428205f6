"""The command line's writing commands check the operator's role ($CX_USER) where a roles file exists."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
ROLES = '[roles]\nviewer = ["vic@example.com"]\neditor = ["ana@example.com"]\nadmin = ["lee@example.com"]\n'
CUSTOMERS = b"Customer ID,Plan\nc1,Gold\nc2,Silver\n"


def cx(*args, user: str | None, roles: Path | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CX_USER", "CX_ROLES")}
    env |= {"CX_ROLES": str(roles or ROOT / "no-such-roles.toml")} | ({"CX_USER": user} if user else {})
    return subprocess.run([sys.executable, "-m", "cx", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    data = tmp_path / "crm.csv"
    data.write_bytes(CUSTOMERS)
    db = tmp_path / "cx.duckdb"
    assert cx("import", data, "--db", db, user="lee@example.com", roles=roles).returncode == 0
    return roles, data, db


def test_a_viewer_cannot_import_exits_3_names_the_role_and_leaves_the_file_untouched(tmp_path):
    roles, data, db = setup(tmp_path)
    before = digest(db)
    done = cx("import", data, "--db", db, user="vic@example.com", roles=roles)
    assert done.returncode == 3
    assert "vic@example.com is a viewer; importing files needs the editor role" in done.stderr
    assert digest(db) == before


def test_without_cx_user_a_roles_file_refuses_writing_and_says_how_to_name_yourself(tmp_path):
    roles, data, db = setup(tmp_path)
    before = digest(db)
    done = cx("import", data, "--db", db, user=None, roles=roles)
    assert done.returncode == 3 and "set CX_USER to your e-mail address" in done.stderr
    assert digest(db) == before


def test_someone_the_roles_file_does_not_name_cannot_import(tmp_path):
    roles, data, db = setup(tmp_path)
    done = cx("import", data, "--db", db, user="mallory@example.org", roles=roles)
    assert done.returncode == 3 and "mallory@example.org has no role on this dashboard" in done.stderr


def test_an_editors_import_is_stored_as_theirs_and_audited_as_cli(tmp_path):
    roles, _, db = setup(tmp_path)
    more = tmp_path / "more.csv"
    more.write_bytes(b"Customer ID,Plan\nc3,Gold\n")
    done = cx("import", more, "--db", db, user="ana@example.com", roles=roles)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT imported_by FROM imports ORDER BY import_id").fetchall() == [
        ("lee@example.com",), ("ana@example.com",)]  # fmt: skip
    assert con.execute("SELECT who, role, action, rows, via FROM audit_log ORDER BY event_id DESC LIMIT 1").fetchall() == [
        ("ana@example.com", "editor", "import", 1, "cli")]  # fmt: skip


def test_replacing_data_with_the_demo_needs_an_admin(tmp_path):
    roles, _, db = setup(tmp_path)
    before = digest(db)
    small = ("--customers", "50", "--interactions", "200", "--responses", "100")
    refused = cx("demo", "--db", db, "--force", *small, user="ana@example.com", roles=roles)
    assert refused.returncode == 3
    assert "ana@example.com is an editor; replacing the database with demo data needs the admin role" in refused.stderr
    assert digest(db) == before
    done = cx("demo", "--db", db, "--force", *small, user="lee@example.com", roles=roles)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT who, action, via FROM audit_log").fetchall() == [("lee@example.com", "demo", "cli")]


def test_a_viewer_cannot_recompute_the_themes(tmp_path):
    roles, _, db = setup(tmp_path)
    before = digest(db)
    refused = cx("themes", "--db", db, "--quiet", user="vic@example.com", roles=roles)
    assert refused.returncode == 3
    assert "vic@example.com is a viewer; recomputing the themes needs the editor role" in refused.stderr
    assert digest(db) == before
    assert cx("themes", "--db", db, "--quiet", user="ana@example.com", roles=roles).returncode == 0


def test_without_a_roles_file_the_command_line_works_as_before(tmp_path):
    data = tmp_path / "crm.csv"
    data.write_bytes(CUSTOMERS)
    done = cx("import", data, "--db", tmp_path / "cx.duckdb", user=None, roles=None)
    assert done.returncode == 0, done.stderr
