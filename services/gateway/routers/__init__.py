"""One small router per area; each route declares its roles (see services.gateway.roles)."""
