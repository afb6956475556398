"""owns: the Docker Engine API server (`scow system service`): aiohttp routes over
`scow.Engine`, one module per noun (system, images, build, volumes, networks, containers,
exec), the error middleware (errors.py), query parsing (params.py), the thread pool that
keeps engine work off the event loop (blocking.py) and the unix-socket server (server.py).

Only the server imports aiohttp; nothing on the CLI's short commands' path imports this
package."""
