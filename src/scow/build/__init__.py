"""owns: the Dockerfile builder (L6): parse (instructions), substitute (shell), plan stages
(plan), read the context (context), dispatch steps (dispatch, copying) through the engine
ports (ports), show progress (progress); ``builder.build`` runs it all."""
