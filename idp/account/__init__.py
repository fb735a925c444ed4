"""The signed-in citizen's own pages: what the register holds about them, where they are signed in,
which portals hold their data, their sign-ins and other events, their password and second factor,
and signing out of the provider."""
