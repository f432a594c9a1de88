"""`coach model [list | pull NAME | use NAME|PATH]`: see, download and choose the local model."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from coach.errors import ModelError
from coach.llm.catalog import load_catalog, machine_ram_gb, render_table
from coach.llm.choice import BUILTIN, ModelChoice, active_local_model, models_dir, read_choice, write_choice
from coach.llm.gguf_info import gguf_info
from coach.settings import Settings


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    """What the app will use, where it was chosen, and what the model file says about itself."""
    provider = settings.resolved_provider()
    if provider != "local":
        from coach.llm.models import describe_model

        print(f"In use: {describe_model(settings)} (OPENAI_* variables are set; the local model is not used).")
    active = active_local_model(settings)
    label = active.name or active.path.name
    print(f"Local model: {label} ({active.source})\n  file: {active.path}")
    if active.path.is_file():
        info = gguf_info(active.path)
        context = info.context_length or "not stated"
        print(f"  {info.name}: {info.architecture}, trained context {context}, used {effective_context(settings)}")
        print(f"  chat template: {'from the GGUF' if info.chat_template else 'none in the GGUF (generic format)'}")
    else:
        print("  the file is missing: `coach model use builtin`, or pull or choose another.")
    print("Other models: `coach model list`; download: `coach model pull NAME`; choose: `coach model use NAME`.")
    return 0


def effective_context(settings: Settings) -> int:
    from coach.llm.models import model_limits

    return model_limits(settings, local_model_path_or_none(settings))[0]


def local_model_path_or_none(settings: Settings) -> Path | None:
    path = active_local_model(settings).path
    return path if path.is_file() else None


def _installed(settings: Settings, catalog) -> set[str]:
    folder = models_dir(settings.data_dir)
    return {m.name for m in catalog.models if (folder / m.filename).is_file()}


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    catalog = load_catalog(settings.model_catalog)
    choice = read_choice(settings.data_dir)
    active = None if settings.local_model else (choice.name if choice else None)
    print(render_table(catalog, machine_ram_gb(), _installed(settings, catalog), active))
    return 0


def cmd_pull(settings: Settings, args: argparse.Namespace) -> int:
    from coach.llm.pull import pull

    model = load_catalog(settings.model_catalog).get(args.name)
    _err(f"{model.title} {model.quantisation}: about {model.size_gb:g} GB on disk, {model.ram_gb:g} GB RAM.")
    _err(f"Licence: {model.licence}.")
    pull(model, models_dir(settings.data_dir), say=_err)
    return 0


def cmd_use(settings: Settings, args: argparse.Namespace) -> int:
    target = args.target
    if target.lower() == BUILTIN:
        write_choice(settings.data_dir, None)
        print("Using the built-in model.")
        return _after_use(settings)
    catalog = load_catalog(settings.model_catalog)
    model = catalog.find(target)
    if model is not None:
        path = models_dir(settings.data_dir) / model.filename
        if not path.is_file():
            raise ModelError(f"'{model.name}' is not pulled yet: run `coach model pull {model.name}` first.")
        choice = ModelChoice(path=path.resolve(), name=model.name)
    else:
        path = Path(target).expanduser()
        if not path.is_file():
            known = ", ".join(m.name for m in catalog.models)
            raise ModelError(f"'{target}' is neither a model name ({known}, {BUILTIN}) nor a GGUF file.")
        choice = ModelChoice(path=path.resolve())
    info = gguf_info(choice.path)  # refuses a file that is not GGUF
    if not info.chat_template:
        raise ModelError(
            f"{choice.path.name} carries no chat template, so llama.cpp would guess a generic format and the model "
            "would see garbled turns. Choose an instruct GGUF that includes one (all in `coach model list` do)."
        )
    write_choice(settings.data_dir, choice)
    print(f"Using {choice.name or choice.path.name}: {choice.path}")
    return _after_use(settings)


def _after_use(settings: Settings) -> int:
    if os.environ.get("COACH_LOCAL_MODEL") or settings.local_model:
        print("Note: COACH_LOCAL_MODEL is set and wins over this choice until you unset it.")
    if settings.resolved_provider() != "local":
        print("Note: OPENAI_* variables are set, so the app uses that server, not the local model.")
    print("Restart the app (`make run` or `coach serve`) to load it.")
    return 0


def add_model_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("model", help="show, download (`pull`) or choose (`use`) the local model")
    parser.set_defaults(func=cmd_show)
    model_sub = parser.add_subparsers(dest="model_command")
    p = model_sub.add_parser("list", help="the table of stronger local models, and which suits this machine")
    p.set_defaults(func=cmd_list)
    p = model_sub.add_parser("pull", help="download a model from the table (needs the network; resumable)")
    p.add_argument("name", help="a name from `coach model list`")
    p.set_defaults(func=cmd_pull)
    p = model_sub.add_parser("use", help="make a pulled model (or a GGUF file) the local model the app loads")
    p.add_argument("target", metavar="NAME|PATH", help=f"a pulled model's name, a .gguf file, or '{BUILTIN}'")
    p.set_defaults(func=cmd_use)
