"""The store stage: the hub's DuckDB database (one writer owns all writes) with provenance."""

from ctdhub.store.hub import Hub, default_store_path, init_store, open_store

__all__ = ["Hub", "default_store_path", "init_store", "open_store"]
