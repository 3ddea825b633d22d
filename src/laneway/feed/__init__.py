"""The activity feed: a project's or a task's events, a page at a time, for whoever may read
them. The log itself, which every write appends to, is activity/ (below every domain); the feed
reads it through the projects' and tasks' access checks, so it sits above them."""
