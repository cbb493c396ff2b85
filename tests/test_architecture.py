"""The import rules that keep Amphi's layers apart, read from the source with the ast module.

Data flows one way: Discord → cog → service → model and queries → store; renderers turn the
domain into markup. Each rule names the files it holds for, and a failure lists every breach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import ROOT

FEATURES = ("programme", "registration", "questions", "posts", "announcements", "commands")
FEATURES += ("events",)
#: The modules that talk to the database: the store's own, and each feature's queries.
STORE_LAYER = ("bot.store", *(f"bot.{f}.queries" for f in FEATURES), "bot.registration.seating")
STORE_LAYER += ("bot.posts.deliveries", "bot.questions.talks")
#: The modules that run transactions.
SERVICES = (*(f"bot.{f}.service" for f in FEATURES), "bot.posts.scheduler", "bot.posts.broadcast")


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


def test_the_rules_see_every_module() -> None:
    """Guards the walk itself: the rules below would pass vacuously on an empty tree."""
    modules = {module_name(p) for p in source_files("bot", "cogs")}
    for feature in FEATURES:
        assert f"bot.{feature}.service" in modules or feature == "posts"
        assert f"bot.{feature}.render" in modules or feature in ("commands", "events")
    assert {"bot.app", "bot.client", "bot.cli", "cogs.common"} <= modules
    found = all_imports("cogs")
    assert any(i.reaches("discord") for i in found)


def test_nothing_in_bot_imports_the_cogs_but_the_composition_root() -> None:
    imports = [i for i in all_imports("bot") if i.module != "bot.app"]
    assert breaches(imports, ("cogs",)) == []


def test_no_import_is_hidden_behind_type_checking() -> None:
    """A TYPE_CHECKING import between Amphi's modules hides a dependency that runs backwards.

    The Discord double is one server whose routes and gateway refer back to it: its own.
    """
    imports = [i for i in all_imports("bot", "cogs") if not in_package(i, "bot.fake_discord")]
    assert [str(i) for i in imports if i.type_checking] == []


def in_package(found: Import, package: str) -> bool:
    return found.module == package or found.module.startswith(package + ".")


def test_only_the_client_the_command_line_and_the_cogs_import_discord() -> None:
    """And the rehearsal, which points discord.py at the double that ships with Amphi, and the
    doctor, which reads the server through discord.py's HTTP client."""
    allowed = {"bot.client", "bot.cli", "bot.fake_discord.fixtures", "bot.fake_discord.patch"}
    allowed.add("bot.doctor.live")
    allowed.add("bot.fake_discord.sitecustomize.sitecustomize")  # a subprocess's patch
    imports = [
        i
        for i in all_imports("bot")
        if i.module not in allowed and not in_package(i, "bot.rehearsal")
    ]
    assert breaches(imports, ("discord",)) == []


def test_the_discord_double_is_amphi_free() -> None:
    """The double plays Discord: it knows nothing of Amphi, so what passes against it is
    what Discord's own behaviour allows, not what Amphi's code expects."""
    imports = [i for i in all_imports("bot") if in_package(i, "bot.fake_discord")]
    assert any(i.reaches("aiohttp") for i in imports)
    amphi = [i for i in imports if i.target.startswith(("bot", "cogs"))]
    assert [str(i) for i in amphi if not i.reaches("bot.fake_discord")] == []


@pytest.mark.parametrize("feature", FEATURES)
def test_a_features_model_and_service_never_import_a_renderer(feature: str) -> None:
    """Markup in a refusal comes from core.markup; rendering is the renderers' alone."""
    imports = [
        i
        for i in all_imports("bot")
        if i.module.startswith(f"bot.{feature}.")
        and i.module.rsplit(".", 1)[1] in {"model", "service", "planner", "scheduler"}
    ]
    renderers = tuple(f"bot.{f}.render" for f in FEATURES)
    assert breaches(imports, renderers) == []


@pytest.mark.parametrize("feature", FEATURES)
def test_a_features_model_is_pure(feature: str) -> None:
    """The rules (seat or waitlist, the Q&A window, the plan of posts) touch no store."""
    models = {f"bot.{feature}.model", f"bot.{feature}.planner"}
    imports = [i for i in all_imports("bot") if i.module in models]
    assert breaches(imports, (*STORE_LAYER, *SERVICES, "sqlalchemy", "sqlmodel")) == []


def test_cogs_never_reach_the_store() -> None:
    """Cogs call services, models and renderers; the database is the services' business."""
    assert breaches(all_imports("cogs"), (*STORE_LAYER, "sqlalchemy", "sqlmodel")) == []


def test_renderers_never_reach_the_store_or_a_service() -> None:
    imports = [i for i in all_imports("bot") if i.module.endswith(".render")]
    assert breaches(imports, (*STORE_LAYER, *SERVICES)) == []


def _queries_modules() -> list[Path]:
    return [
        ROOT / "bot" / feature / "queries.py"
        for feature in FEATURES
        if (ROOT / "bot" / feature / "queries.py").exists()
    ] + [ROOT / "bot" / "posts" / "deliveries.py", ROOT / "bot" / "questions" / "talks.py"]


def test_store_queries_are_synchronous_functions_of_a_session_and_keywords() -> None:
    """`fn(session, *, …)`: run in the store's worker threads, one transaction each.

    The other public functions there map a row to the domain and take no session.
    """
    wrong = []
    for path in _queries_modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.AsyncFunctionDef):
                wrong.append(f"{path.name}:{node.name} is async")
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            positional = [a.arg for a in node.args.posonlyargs + node.args.args]
            if "session" in positional and positional != ["session"]:
                wrong.append(f"{path.name}:{node.name}({', '.join(positional)}, …)")
    assert len(_queries_modules()) == len(FEATURES) + 2  # and the deliveries, a talk's Q&A
    assert wrong == []


def test_the_test_support_never_imports_the_tests() -> None:
    """Fixtures (conftest) and helpers (support) import in one direction only."""
    imports = all_imports("tests/support")
    assert any(i.reaches("bot.fake_discord") for i in imports)
    assert breaches(imports, ("tests.conftest", "tests.unit", "tests.e2e")) == []


def test_the_client_and_the_command_line_reach_feature_rows_only_through_services() -> None:
    """They may open the store (migrations, the bot's own state), never a feature's tables."""
    imports = [i for i in all_imports("bot") if i.module in {"bot.client", "bot.cli"}]
    feature_rows = (
        *(prefix for prefix in STORE_LAYER if prefix != "bot.store"),
        "bot.store.models",
    )
    assert breaches(imports, feature_rows) == []
