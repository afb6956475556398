"""owns: OCI image-spec and runtime-spec types, and image references."""
