"""owns: content-addressed blobs (see blobs/store.py)."""
