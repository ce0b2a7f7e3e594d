"""Storage: SQLAlchemy 2 async models, the database handle with migrations, and repositories."""
