"""Rich renderables and JSON views of service results. Never queries the store."""
