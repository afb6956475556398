"""owns: see the modules of this package."""
