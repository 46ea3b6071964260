"""Small helpers shared by all layers."""

from molgen.utils.quiet import quiet_import, rdkit_quiet
from molgen.utils.registry import Registry

__all__ = ["Registry", "quiet_import", "rdkit_quiet"]
