"""gssm: load and run weight files of sequence models compiled from finite
groups and automata (format versions 2 to 7).

>>> import gssm
>>> m = gssm.load("S3.aussm.safetensors")
>>> x = m.encode("t c t")                 # token labels (words in the generators) -> ids
>>> m.decode(m.run(x))                    # NumPy executor -> element labels
>>> (m.run(x) == m.running_products(x)).all()
>>> (m.run(x) == m.truth(x)).all()        # running products, or an automaton's states

``gssm.GssmModule`` (PyTorch, imported on first use) runs the same model as
an ``nn.Module`` with trainable parameters.

``gssm.check``, ``gssm.compile`` and ``gssm.verify`` (see :mod:`gssm.compiler`)
run the compiler and the verifier through the native module ``gssm._native``,
imported on first use:

>>> m = gssm.compile("stdlib/seed.gssm", "S3")   # a path, or source text
>>> gssm.verify(m).ok
True
"""

from __future__ import annotations

from typing import Any

from .compiler import (
    GssmError,
    GssmWarning,
    Report,
    Structure,
    check,
    compile,
    compile_bytes,
    data,
    model_data,
    verify,
)
from .format import (
    CONVENTION,
    FORMAT_NAME,
    FORMAT_VERSION,
    DtypeError,
    FormatError,
    GroupInfo,
    InconsistentError,
    Layer,
    LimitError,
    LoadLimits,
    Manifest,
    ManifestError,
    MissingTensorError,
    NoManifestError,
    NotFiniteError,
    RangeError,
    SafetensorsError,
    ShapeError,
    TARGETS,
    UnexpectedTensorError,
    VersionError,
    WrongFormatError,
    dumps,
    load,
    loads,
    save,
    validate,
)
from .format import BOS_LABEL, DIAGONAL_TARGETS, READ_VERSIONS, UNDECODABLE, Action, DeltaLayer, PdLayer, RnnLayer
from .format import AutomatonInfo, AutomatonTruth, GroupTruth, ProvedDtype
from .format import FORMAT_VERSION_PC, FORMAT_VERSION_PERM, FORMAT_VERSION_SERIES
from .model import Model, TokenError
from .pc import PcTruth
from .perm import PermLabels, PermTruth, SeriesTerm, SeriesTruth, cycle_notation
from .numpy_exec import run, states

__version__ = "0.1.0"

__all__ = [
    "CONVENTION",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "DtypeError",
    "FormatError",
    "GroupInfo",
    "GssmError",
    "GssmModule",
    "GssmWarning",
    "InconsistentError",
    "Layer",
    "LimitError",
    "LoadLimits",
    "Manifest",
    "ManifestError",
    "MissingTensorError",
    "Model",
    "NoManifestError",
    "NotFiniteError",
    "RangeError",
    "Report",
    "SafetensorsError",
    "ShapeError",
    "Structure",
    "TARGETS",
    "TokenError",
    "UnexpectedTensorError",
    "VersionError",
    "WrongFormatError",
    "check",
    # Not "compile": `from gssm import *` would hide the builtin.
    "compile_bytes",
    "data",
    "dumps",
    "load",
    "loads",
    "model_data",
    "run",
    "save",
    "states",
    "validate",
    "verify",
]
__all__ += ["BOS_LABEL", "DIAGONAL_TARGETS", "READ_VERSIONS", "UNDECODABLE", "Action", "DeltaLayer", "PdLayer", "RnnLayer"]
__all__ += ["AutomatonInfo", "AutomatonTruth", "GroupTruth", "ProvedDtype"]
__all__ += ["FORMAT_VERSION_PERM", "FORMAT_VERSION_SERIES", "PermLabels", "PermTruth", "SeriesTerm", "SeriesTruth"]
__all__ += ["FORMAT_VERSION_PC", "PcTruth", "cycle_notation"]


def __getattr__(name: str) -> Any:
    # torch is imported only when the module class is asked for.
    if name in ("GssmModule", "GssmLayer"):
        from . import torch_module

        return getattr(torch_module, name)
    raise AttributeError(f"module 'gssm' has no attribute {name!r}")
