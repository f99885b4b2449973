"""The helper modules of the docs tests (``doc_commands``, ``tiny_mirror``), importable by name:
the suite runs with ``--import-mode=importlib``, where test folders are not on ``sys.path``."""

import importlib.util
import sys
from pathlib import Path

for _name in ("doc_commands", "tiny_mirror"):
    _spec = importlib.util.spec_from_file_location(_name, Path(__file__).with_name(f"{_name}.py"))
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_name] = _module
    _spec.loader.exec_module(_module)
