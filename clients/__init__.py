"""The relying-party register: portals allowed to log citizens in through the provider."""
