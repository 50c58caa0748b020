"""motorkit: the helper package of the course book *How neural networks learn to control bodies*.

Modules are named after the book's concepts: ``effectors``, ``tasks``, ``fields``, ``policy``,
``training``, ``rollouts``, ``metrics``, ``analysis``, ``plots``, ``widgets``, ``io`` and ``cli``.
"""

__version__ = "0.1.0"
