"""The HTTP gateway: users, sessions and roles; every domain call goes to a service over RPC."""
