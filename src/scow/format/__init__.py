"""owns: Go text/template for --format, tabwriter, and docker's size/duration/ID formatting."""
