"""The rules that keep Amphi's layers apart, read from the source with the ast module.

Data flows one way: Discord → cog → service → model and queries → store; renderers turn the
domain into markup. Every module of a feature package (`bot/<feature>/`) has a role, taken from
its file name (model, queries, service, render) or from ROLES; the rules hold for roles, so a
module cannot escape them by its name. A failure lists every breach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import ROOT

#: Packages of bot/ that are not features: infrastructure and the programs around the bot.
NOT_FEATURES = {"core", "store", "doctor", "rehearsal", "schedule_import", "locales"}

#: The four roles: what a module is for decides what it may import.
MODEL, QUERIES, SERVICE, RENDER = "model", "queries", "service", "render"

#: A feature's door to the world other than Discord: the web pages' HTTP server. It calls its
#: service and renders with its renderers, like a cog, and never reaches the store.
ADAPTER = "adapter"

#: Modules whose file name is not their role.
ROLES = {
    "bot.programme.diff": MODEL,  # what changed between two versions of a programme
    "bot.programme.files": MODEL,  # the meeting files read into the model
    "bot.programme.sessions_file": MODEL,  # the [[sessions]] of a meeting file, in order
    "bot.programme.toml_reader": MODEL,
    "bot.programme.talk_queries": QUERIES,  # a meeting's talks saved, keeping what hangs on them
    "bot.programme.ics": RENDER,
    "bot.changes.following": SERVICE,  # files and exports reloaded into the programme
    "bot.changes.held": SERVICE,  # a re-import held for an organizer, next to its meeting file
    "bot.registration.desk": SERVICE,  # seat changes batched into transactions
    "bot.registration.seating": QUERIES,  # the locked transaction of a batch
    "bot.questions.talks": QUERIES,  # a talk's Q&A window and thread
    "bot.questions.talk_qa": SERVICE,  # which talk; its Q&A window, thread and speakers
    "bot.events.steps": MODEL,  # what a sync pass does to each event
    "bot.proposals.call_file": MODEL,  # the [call] table of a meeting file
    "bot.proposals.refusals": MODEL,  # the call's refusals, each with what to do instead
    "bot.proposals.review_queries": QUERIES,  # reviews, decisions told once, the cards
    "bot.web.signing": MODEL,  # the organizers' pages' keys: an HMAC, no I/O
    "bot.web.server": ADAPTER,  # the aiohttp server of the public page, screen and dashboard
    "bot.web.front": ADAPTER,  # the process that takes the visitors, in front of the server
}

#: Service methods that make more than one store round trip, and why that is right.
SEVERAL_ROUND_TRIPS = {
    "bot.dms.service.Broadcaster.run": "each DM is claimed before it is sent, alone",
    "bot.events.service.EventService.sync": "each creation is claimed before Discord is asked",
    "bot.kept.service.KeptCommands.keep": (
        "one write for the commands arriving together; its writer loops over such groups"
    ),
    "bot.kept.service.KeptCommands.finish_unfinished": (
        "the sweep: what is unfinished, then each finished by its own action"
    ),
    "bot.kept.service.KeptCommands.keep_finishing": "a loop over the sweeps",
    "bot.kept.service.KeptCommands.prune": "one transaction per batch: none holds the store long",
    "bot.kept.service.KeptCommands.prune_when_due": "the prune, a transaction per batch",
    "bot.posts.service.PostScheduler.start": "the pass at start, over every meeting",
    "bot.posts.service.PostScheduler.replan": "the pass after an edit, over every meeting",
    "bot.posts.service.PostScheduler.track": (
        "reads the post, then schedules it (one already due is sent at once)"
    ),
    "bot.posts.service.PostScheduler.schedule": "none of its own; a post already due is sent",
    "bot.posts.service.PostScheduler.fire": (
        "the post is claimed before it is sent, and what happened kept after"
    ),
    "bot.registration.desk.RegistrationDesk.submit": (
        "one transaction for the batch it joins; a failed batch is retried one by one"
    ),
}


@dataclass(frozen=True)
class Import:
    """One imported module, where it is imported, and whether only for type checking."""

    module: str  # the importing module, dotted
    target: str  # the imported module (for `from a import b`, both a and a.b are tried)
    names: tuple[str, ...]
    line: int
    type_checking: bool

    def reaches(self, prefix: str) -> bool:
        """Whether this import is of `prefix` or of a module inside it."""
        candidates = [self.target, *(f"{self.target}.{n}" for n in self.names)]
        return any(c == prefix or c.startswith(prefix + ".") for c in candidates)

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(*folders: str) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
    )


def imports_of(path: Path) -> Iterator[Import]:
    """Every import in `path`, at any depth (inside functions too)."""
    module = module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, (), node.lineno, id(node) in guarded)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            target = absolute(module, path, node.module, node.level)
            yield Import(module, target, names, node.lineno, id(node) in guarded)


def absolute(module: str, path: Path, imported: str | None, level: int) -> str:
    """The dotted name a `from` import refers to, relative ones (`from . import x`) resolved."""
    if not level:
        return imported or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{imported}" if imported else package


def all_imports(*folders: str) -> list[Import]:
    return [found for path in source_files(*folders) for found in imports_of(path)]


def breaches(imports: list[Import], forbidden: tuple[str, ...]) -> list[str]:
    return [str(i) for i in imports if any(i.reaches(prefix) for prefix in forbidden)]


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def features() -> list[str]:
    return sorted(
        path.name
        for path in (ROOT / "bot").iterdir()
        if (path / "__init__.py").exists() and path.name not in NOT_FEATURES
    )


def feature_modules() -> dict[str, Path]:
    """Every module of every feature package, by dotted name (packages' __init__ aside)."""
    return {
        module_name(path): path
        for feature in features()
        for path in sorted((ROOT / "bot" / feature).glob("*.py"))
        if path.name != "__init__.py"
    }


def role_of(module: str) -> str | None:
    name = module.rpartition(".")[2]
    return ROLES.get(module, name if name in (MODEL, QUERIES, SERVICE, RENDER) else None)


def modules_with(role: str) -> tuple[str, ...]:
    return tuple(m for m in feature_modules() if role_of(m) == role)


def imports_of_role(role: str) -> list[Import]:
    modules = set(modules_with(role))
    return [i for i in all_imports("bot") if i.module in modules]


#: What talks to the database: the store itself and every queries module.
def store_layer() -> tuple[str, ...]:
    return ("bot.store", *modules_with(QUERIES))


def test_the_rules_see_every_module() -> None:
    """Guards the walk itself: the rules below would pass vacuously on an empty tree."""
    assert {"programme", "registration", "questions", "posts", "changes", "kept"} <= set(features())
    for role in (MODEL, QUERIES, SERVICE, RENDER):
        assert len(modules_with(role)) >= 5, role
    assert {"bot.app", "bot.client", "bot.cli", "cogs.common"} <= {
        module_name(p) for p in source_files("bot", "cogs")
    }
    assert any(i.reaches("discord") for i in all_imports("cogs"))


def test_every_module_of_a_feature_has_a_role() -> None:
    """A feature's file is a model, queries, a service or a renderer, by name or in ROLES."""
    assert [m for m in feature_modules() if role_of(m) is None] == []
    assert [m for m in ROLES if m not in feature_modules()] == []  # no stale entry


def test_nothing_in_bot_imports_the_cogs_but_the_composition_root() -> None:
    imports = [i for i in all_imports("bot") if i.module != "bot.app"]
    assert breaches(imports, ("cogs",)) == []


def test_no_import_is_hidden_behind_type_checking() -> None:
    """A TYPE_CHECKING import between Amphi's modules hides a dependency that runs backwards."""
    assert [str(i) for i in all_imports("bot", "cogs") if i.type_checking] == []


def test_only_the_client_the_command_line_and_the_cogs_import_discord() -> None:
    """And the rehearsal, which points discord.py at the Discord double, and the doctor, which
    reads the server through discord.py's HTTP client."""
    allowed = {"bot.client", "bot.cli", "bot.doctor.live"}
    imports = [
        i
        for i in all_imports("bot")
        if i.module not in allowed and not in_package(i.module, "bot.rehearsal")
    ]
    assert breaches(imports, ("discord",)) == []


def test_the_discord_double_is_amphi_free_and_only_the_rehearsal_uses_it() -> None:
    """The double plays Discord: it knows nothing of Amphi, so what passes against it is what
    Discord's own behaviour allows, not what Amphi's code expects. Of the product, only the
    rehearsal runs the bot against it."""
    double = all_imports("fake_discord")
    assert any(i.reaches("aiohttp") for i in double)
    assert breaches(double, ("bot", "cogs", "tests")) == []
    product = [i for i in all_imports("bot", "cogs") if not in_package(i.module, "bot.rehearsal")]
    assert breaches(product, ("fake_discord",)) == []


def test_models_are_pure() -> None:
    """The rules (seat or waitlist, the Q&A window, the plan of posts) touch no store, call no
    service, render nothing and know nothing of Discord."""
    forbidden = (
        *store_layer(),
        *modules_with(SERVICE),
        *modules_with(RENDER),
        "sqlalchemy",
        "sqlmodel",
        "discord",
    )
    assert breaches(imports_of_role(MODEL), forbidden) == []


def test_services_never_import_a_renderer_or_discord() -> None:
    """Markup in a refusal comes from core.markup; rendering is the renderers' alone."""
    forbidden = (*modules_with(RENDER), "discord")
    assert breaches(imports_of_role(SERVICE), forbidden) == []


def test_renderers_never_reach_the_store_or_a_service() -> None:
    forbidden = (*store_layer(), *modules_with(SERVICE), "sqlalchemy", "sqlmodel", "discord")
    assert breaches(imports_of_role(RENDER), forbidden) == []


def test_queries_never_call_a_service_or_render() -> None:
    forbidden = (*modules_with(SERVICE), *modules_with(RENDER), "discord")
    assert breaches(imports_of_role(QUERIES), forbidden) == []


def test_adapters_never_reach_the_store_or_discord() -> None:
    """The web server reads its service's snapshots, as a cog would, and nothing else."""
    assert modules_with(ADAPTER)
    forbidden = (*store_layer(), "sqlalchemy", "sqlmodel", "discord")
    assert breaches(imports_of_role(ADAPTER), forbidden) == []


def test_cogs_never_reach_the_store() -> None:
    """Cogs call services, models and renderers; the database is the services' business."""
    assert breaches(all_imports("cogs"), (*store_layer(), "sqlalchemy", "sqlmodel")) == []


def test_core_knows_no_store_technology() -> None:
    """core is what every layer shares: settings, refusals, clocks, markup."""
    core = [i for i in all_imports("bot") if in_package(i.module, "bot.core")]
    assert breaches(core, ("bot.store", "sqlalchemy", "sqlmodel", "alembic", "discord")) == []


def test_the_schedule_import_is_pure_and_reads_only_the_programmes_models() -> None:
    """Exports into meeting files: no store, no service, no Discord, so `amphi import` and the
    following share it without side effects."""
    imports = [i for i in all_imports("bot") if in_package(i.module, "bot.schedule_import")]
    amphi = [i for i in imports if i.target.startswith(("bot", "cogs"))]
    allowed = ("bot.schedule_import", "bot.core", "bot.programme.files")
    allowed += tuple(m for m in modules_with(MODEL) if in_package(m, "bot.programme"))
    assert [str(i) for i in amphi if not any(i.reaches(a) for a in allowed)] == []


def test_store_queries_are_synchronous_functions_of_a_session_and_keywords() -> None:
    """`fn(session, *, …)`: run in the store's worker threads, one transaction each.

    The other public functions there map a row to the domain and take no session.
    """
    wrong = []
    paths = feature_modules()
    for module in modules_with(QUERIES):
        for node in ast.parse(paths[module].read_text()).body:
            if isinstance(node, ast.AsyncFunctionDef):
                wrong.append(f"{module}:{node.name} is async")
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            positional = [a.arg for a in node.args.posonlyargs + node.args.args]
            if "session" in positional and positional != ["session"]:
                wrong.append(f"{module}:{node.name}({', '.join(positional)}, …)")
    assert wrong == []


def _is_round_trip(call: ast.Call) -> bool:
    """`….db.run(…)`, `….db.call(…)` or `….db.dry_run(…)`: one transaction in the store."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("run", "call", "dry_run")
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "db"
    )


def round_trips(cls: ast.ClassDef) -> dict[str, int]:
    """How many store round trips each public async method of `cls` can make, counting the
    methods of its own it calls; a round trip inside a loop counts as two."""
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
    counted: dict[str, int] = {}

    def count(name: str, seen: tuple[str, ...]) -> int:
        if name in counted or name in seen:
            return counted.get(name, 0)
        total = 0
        for node in ast.walk(methods[name]):
            if isinstance(node, ast.Call) and _is_round_trip(node):
                total += 1
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "self"
                and node.func.attr in methods
            ):
                total += count(node.func.attr, (*seen, name))
            elif isinstance(node, ast.For | ast.AsyncFor | ast.While) and any(
                isinstance(n, ast.Call) and _is_round_trip(n) for n in ast.walk(node)
            ):
                total += 1
        counted[name] = total
        return total

    return {
        name: count(name, ())
        for name, node in methods.items()
        if not name.startswith("_") and isinstance(node, ast.AsyncFunctionDef)
    }


def test_a_user_action_is_one_store_round_trip() -> None:
    """Each public service method makes at most one transaction, but for the passes and
    broadcasts named in SEVERAL_ROUND_TRIPS, each with its reason (a stale entry fails too)."""
    assert all(SEVERAL_ROUND_TRIPS.values())
    paths = feature_modules()
    several = {}
    for module in modules_with(SERVICE):
        for node in ast.parse(paths[module].read_text()).body:
            if isinstance(node, ast.ClassDef):
                for method, count in round_trips(node).items():
                    if count > 1:
                        several[f"{module}.{node.name}.{method}"] = count
    assert sorted(several) == sorted(SEVERAL_ROUND_TRIPS), several


def test_the_test_support_never_imports_the_tests() -> None:
    """Fixtures (conftest) and helpers (support) import in one direction only."""
    imports = all_imports("tests/support")
    assert any(i.reaches("fake_discord") for i in imports)
    assert breaches(imports, ("tests.conftest", "tests.unit", "tests.e2e")) == []


def test_the_client_and_the_command_line_reach_feature_rows_only_through_services() -> None:
    """They may open the store (migrations, the bot's own state), never a feature's tables."""
    command_line = {"bot.client", "bot.cli", "bot.cli_common", "bot.db_cli", "bot.health_cli"}
    imports = [i for i in all_imports("bot") if i.module in command_line]
    assert breaches(imports, (*modules_with(QUERIES), "bot.store.models")) == []


@pytest.mark.parametrize("role", [MODEL, QUERIES, SERVICE, RENDER])
def test_each_role_is_held(role: str) -> None:
    """Guards the role table: every role has modules in several features."""
    assert len({m.split(".")[1] for m in modules_with(role)}) >= 3
