"""Who is calling: every way in (tokens, identity providers, sessions) ends as one user id."""
