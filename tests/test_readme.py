"""The README's examples run against the code as it is.

Its command-line reference and the parser agree both ways: every command, sub-command
and option is documented, and every command line the README and docs/ show exists.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_installation

from dpo_workbench.cli import build_parser
from dpo_workbench.errors import EXIT_MEANINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The documents whose command lines must exist.
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    with demo_installation(folder / "demo-install") as settings:
        yield settings


def test_the_api_tour_runs(demo, tmp_path, monkeypatch):
    [tour] = _blocks("python")[:1]
    monkeypatch.chdir(tmp_path)
    code = tour.replace("demo-install/workbench.yaml", str(demo))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert (tmp_path / "aino.zip").stat().st_size > 0
    assert namespace["result"].total > 0  # type: ignore[attr-defined]
    assert "Nothing to erase" not in namespace["plan"].describe()  # type: ignore[attr-defined]


# -- the command-line reference and the parser, both ways ---------------------------------

Command = tuple[str, ...]

#: A mention of the command line in code: the words after it name a command.
MENTION = re.compile(r"(?<![\w-])dpo-workbench((?:[ \t]+[\w.\[\]<>|\\'+=#/-]+)*)")
OPTION = re.compile(r"(?<![\w-])--[a-z][\w-]*")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", flags=re.S | re.M)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of ``parser`` by name (argparse keeps them in a private action)."""
    return {name: sub for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, sub in action.choices.items()}


def _commands(parser: argparse.ArgumentParser,
              path: Command = ()) -> Iterator[tuple[Command, argparse.ArgumentParser]]:
    """Every command one can run (``("demo", "build")``, ``("search",)``, ...) and its parser."""
    subs = _subcommands(parser)
    if not subs:
        yield path, parser
    for name, sub in subs.items():
        yield from _commands(sub, (*path, name))


def _options(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """Each option's spellings (``("--config", "-c")``), without --help."""
    return [tuple(a.option_strings) for a in parser._actions
            if a.option_strings and not isinstance(a, argparse._HelpAction)]


def _code(markdown: str) -> list[str]:
    """Inline code spans, and each line of the fenced blocks (continued lines joined,
    shell comments dropped: ``pip install dpo-workbench  # the command`` runs no command)."""
    blocks = FENCE.findall(markdown)
    lines = [re.sub(r"(^|\s)#\s.*$", "", line)
             for b in blocks for line in b.replace("\\\n", " ").splitlines()]
    return lines + re.findall(r"`([^`\n]+)`", FENCE.sub("", markdown))


def _mentions(text: str) -> Iterator[tuple[Command, argparse.ArgumentParser, list[str]]]:
    """The commands ``text`` mentions: (command, its parser, the options written after it).

    Fails when a word after ``dpo-workbench`` is not a command of the parser.
    """
    for match in MENTION.finditer(text):
        parser, path = build_parser(), ()
        words = match.group(1).split()
        if not words:
            continue  # the program's name, not a command
        while words and _subcommands(parser):
            word = words.pop(0)
            assert word in _subcommands(parser), \
                f"`dpo-workbench {' '.join((*path, word))}` is not a command ({text})"
            parser, path = _subcommands(parser)[word], (*path, word)
        yield path, parser, OPTION.findall(" ".join(words))


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _written(option: tuple[str, ...], text: str) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text) for o in option)


def test_every_command_and_option_of_the_parser_is_in_the_reference():
    reference = _section("Command line")
    # a table row documents the commands it mentions; the prose around the table
    # (criteria options, --config, --user) is shared by every command
    rows: dict[Command, str] = {}
    prose = []
    for line in reference.splitlines():
        if line.startswith("| `dpo-workbench "):
            for command, _, _ in _mentions(line.split("`")[1]):
                rows[command] = rows.get(command, "") + line
        else:
            prose.append(line)
    shared = "\n".join(prose)
    commands = dict(_commands(build_parser()))
    assert {("demo", "build"), ("demo", "samples"), ("audit", "list"),
            ("audit", "verify")} <= set(commands)  # sub-commands of sub-commands are walked
    missing = [" ".join(c) for c in commands if c not in rows]
    assert not missing, f"commands without a row in the README's reference: {missing}"
    undocumented = [f"{' '.join(c)} {'/'.join(o)}" for c, parser in commands.items()
                    for o in _options(parser) if not _written(o, rows[c] + shared)]
    assert not undocumented, f"options missing from the README's reference: {undocumented}"


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_command_a_document_mentions_exists_with_its_options(doc):
    mentions = [m for text in _code(doc.read_text(encoding="utf-8")) for m in _mentions(text)]
    assert mentions or doc.name != "README.md"
    for command, parser, options in mentions:
        known = {o for spellings in _options(parser) for o in spellings}
        assert set(options) <= known, (command, set(options) - known)


def test_the_exit_status_table_is_the_one_the_command_line_uses():
    section = README[README.index("\n### Exit status\n"):]
    section = section[:section.index("\n## ")]
    table = {int(status): meaning for status, meaning
             in re.findall(r"^\| (\d+) \| (.+?) \|$", section, flags=re.M)}
    assert table == dict(EXIT_MEANINGS)  # no status missing, none extra, same words


def test_the_sample_subjects_table_matches_the_demo():
    from dpo_workbench.demo.samples import SAMPLES

    for s in SAMPLES:
        assert f"`{s.phone}`" in README and f"`{s.email}`" in README, s.key
