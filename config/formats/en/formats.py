"""The English pages keep the Vietnamese formats (see `config.formats.vi.formats`): only the words change."""

from config.formats.vi.formats import *  # noqa: F403
