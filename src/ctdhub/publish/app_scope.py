"""Keys the app's middleware puts in a request's ASGI scope for the routes to read."""

from __future__ import annotations

HEAD_FLAG = "ctdhub.head"  # set by HeadAsGet: the request is a HEAD answered as GET without its body
