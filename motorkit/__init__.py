"""motorkit: the helper package of the course book *How neural networks learn to control bodies*.

Modules are named after the book's concepts (the science core: ``effectors``, ``tasks``, ``fields``,
``policy``, ``training``, ``rollouts``, ``metrics``, ``analysis``, ...). Two subpackages sit on top:
``plots`` (the figures, by concept) and ``publish`` (the book's machinery: executing and building the
book, its Sphinx fixes, widgets and HTML helpers); ``cli`` and ``bench`` are the command line.
ARCHITECTURE.md at the repository root maps every module.
"""

__version__ = "0.1.0"
