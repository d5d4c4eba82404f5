"""Local HTTP servers speaking the documented APIs of networks that cannot run
here (one module per network; see ../shared/PEERS.md for the ones that can)."""
