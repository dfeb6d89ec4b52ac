"""What runs ClaudIA's servers: launchers, worker processes, the supervisor's programs and the reverse proxy's configuration."""
