"""owns: the registry client (Docker Registry HTTP API v2 / OCI distribution) on urllib3.

Modules: client (RegistryClient: manifests, blobs, tags), manifest (parsing, validation,
platforms), auth (challenges, bearer tokens), credentials (docker's config.json, helpers),
login (login/logout), transport (scheme choice, auth headers, redirects, error translation),
reader (verified, resuming blob reader), upload (monolithic/chunked uploads).
Nothing is imported here: urllib3 loads only when a RegistryClient is made.
"""
