"""The MCP server for AI assistants: the task tools at `/mcp`, for the bearer token's user."""
