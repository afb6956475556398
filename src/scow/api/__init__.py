"""owns: the Docker Engine API server (`scow system service`): aiohttp routes over the
library's services (scow.engine), never around them."""
