"""Usage: app.py [--port=<n>]"""
from docopt import docopt

print("service up on", docopt(__doc__, argv=[]).get("--port") or 8080)
