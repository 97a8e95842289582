"""The one error every feed reader raises for input it cannot use."""


class FeedError(ValueError):
    """A feed document is malformed, invalid or not what the reader expects; says why."""
