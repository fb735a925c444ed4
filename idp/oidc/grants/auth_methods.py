"""Client authentication methods accepted at the token, PAR, revocation and introspection endpoints.

Each client is still held to the one method it registered (``check_endpoint_auth_method``).
"""

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
