"""Plots: one consistent look for every chapter's figures.

Conventions: distances in the effector's workspace are drawn in metres with equal axis scales; the
8 centre-out targets always use :func:`target_colors`; each muscle keeps its colour from
:func:`muscle_colors` in every figure; force fields (and the networks trained in them) keep
:data:`FIELD_COLORS`. Functions draw onto a given ``Axes`` (or return a new ``Figure``) and never
choose a matplotlib backend, so notebooks keep their inline figures.

Modules, by concept (everything public is also available here, as ``plots.<name>``):

- :mod:`~motorkit.plots.style`: the matplotlib style (:func:`use_style`), axis labels
  (:func:`finish`), log axes with plain numbers, mean-and-band lines.
- :mod:`~motorkit.plots.colors`: the one colour table: targets and directions, muscles, effectors,
  force fields and networks, hidden-state directions, batch sizes.
- :mod:`~motorkit.plots.bodies`: the bodies (chapter 1): effector drawings, workspaces, muscle
  curves, moment arms, hand paths under constant excitation.
- :mod:`~motorkit.plots.reaching`: reaching with a trained policy and adapting to force fields
  (chapters 2-3): reaches, speed profiles, muscle activations, curl forces, adaptation.
- :mod:`~motorkit.plots.learning`: learning curves (chapters 2-4): training and test losses,
  lateral deviation over learning, the batch-size study.
- :mod:`~motorkit.plots.hidden`: hidden states (chapters 5-6): principal components, pulses,
  ablations and transplants.
- :mod:`~motorkit.plots.generalization`: generalization (chapter 7): maps over start postures,
  generalization functions, channel forces.
- :mod:`~motorkit.plots.savings`: savings and interference (chapter 8): protocol learning curves,
  paired measures per network, preparatory shifts, the two-state model.

HTML tables and animations are not figures: they live in :mod:`motorkit.publish.html`.
"""

from motorkit.plots.bodies import (
    arm_muscle_paths,
    draw_arm,
    draw_effector,
    draw_joint_angles,
    draw_workspace,
    effector_limits,
    effector_title,
    plot_excitation_paths,
    plot_excitation_response,
    plot_hand_paths,
    plot_moment_arms,
    plot_muscle_curves,
    plot_single_muscle_paths,
)
from motorkit.plots.colors import (
    ARM_MUSCLE_COLORS,
    ARM_MUSCLE_ROLES,
    BLOCK_COLORS,
    DIRECTION_COLORS,
    EFFECTOR_COLORS,
    FIELD_COLORS,
    FIELD_LABELS,
    LEARNING_COLORS,
    NETWORK_COLORS,
    batch_size_colors,
    direction_color,
    muscle_colors,
    target_colors,
)
from motorkit.plots.generalization import (
    plot_against,
    plot_channel_forces,
    plot_generalization,
    plot_posture_map,
    plot_practised_direction,
)
from motorkit.plots.hidden import (
    animate_pc_trajectories,
    plot_effect_bars,
    plot_end_states,
    plot_grouped_bars,
    plot_paths_pair,
    plot_pc_trajectories,
    plot_pc_trajectories_3d,
    plot_pulse,
    plot_pulse_deviation,
    plot_pulse_panel,
    plot_rotation_plane,
    plot_spread,
    plot_occupancy,
    plot_transplant_sweep,
    plot_variance_explained,
)
from motorkit.plots.learning import (
    plot_batch_size_costs,
    plot_batch_size_study,
    plot_eval_curves,
    plot_field_loss_curves,
    plot_lateral_learning_curves,
    plot_loss_curves,
)
from motorkit.plots.reaching import (
    CONDITION_LABELS,
    draw_targets,
    mark_cue,
    plot_activations_by_target,
    plot_adaptation_paths,
    plot_condition_bars,
    plot_curl_forces,
    plot_endpoint_clouds,
    plot_exposure_pair,
    plot_field_exposure,
    plot_hold,
    plot_reach_detail,
    plot_reach_toward,
    plot_reaches,
    plot_speed_profiles,
    plot_strength_sweep,
    plot_training_trials,
    plot_workspace_reaches,
)
from motorkit.plots.savings import (
    plot_curves,
    plot_paired,
    plot_schedule,
    plot_shift_states,
    plot_two_state,
    shade_blocks,
)
from motorkit.plots.style import STYLE, finish, plain_log_ticks, plot_band, use_style

__all__ = [
    # style
    "STYLE", "use_style", "finish", "plain_log_ticks", "plot_band",
    # colors
    "ARM_MUSCLE_COLORS", "ARM_MUSCLE_ROLES", "FIELD_COLORS", "FIELD_LABELS", "NETWORK_COLORS", "EFFECTOR_COLORS",
    "DIRECTION_COLORS", "BLOCK_COLORS", "LEARNING_COLORS", "target_colors", "direction_color", "muscle_colors", "batch_size_colors",
    # bodies
    "arm_muscle_paths", "draw_arm", "draw_joint_angles", "draw_effector", "effector_title",
    "effector_limits", "draw_workspace", "plot_hand_paths", "plot_excitation_paths", "plot_single_muscle_paths",
    "plot_excitation_response", "plot_muscle_curves", "plot_moment_arms",
    # reaching
    "CONDITION_LABELS", "draw_targets", "plot_reaches", "plot_speed_profiles", "plot_activations_by_target",
    "mark_cue", "plot_hold", "plot_endpoint_clouds",
    "plot_reach_detail", "plot_curl_forces", "plot_adaptation_paths", "plot_condition_bars", "plot_strength_sweep",
    "plot_field_exposure", "plot_exposure_pair", "plot_reach_toward", "plot_training_trials", "plot_workspace_reaches",
    # learning
    "plot_loss_curves", "plot_eval_curves", "plot_lateral_learning_curves", "plot_field_loss_curves",
    "plot_batch_size_study", "plot_batch_size_costs",
    # hidden
    "plot_variance_explained", "plot_pc_trajectories", "plot_pc_trajectories_3d", "animate_pc_trajectories",
    "plot_spread", "plot_occupancy", "plot_end_states", "plot_rotation_plane", "plot_paths_pair", "plot_pulse_panel",
    "plot_pulse", "plot_pulse_deviation", "plot_effect_bars", "plot_transplant_sweep", "plot_grouped_bars",
    # generalization
    "plot_posture_map", "plot_generalization", "plot_channel_forces", "plot_against", "plot_practised_direction",
    # savings
    "shade_blocks", "plot_curves", "plot_paired", "plot_shift_states", "plot_two_state", "plot_schedule",
]
