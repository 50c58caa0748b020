"""The training log: one class over the rows, one way to read a curve (raw or smoothed, measured or per batch)."""

from __future__ import annotations

import numpy as np
import pytest

from motorkit.traininglog import INDEX, TrainingLog, centred_average, evaluation_columns

ROWS = [{"batch": 1, "loss": 4.0, "test_lateral_cm": 0.5, INDEX: 0.1}, {"batch": 2, "loss": 3.0},
        {"batch": 3, "loss": 2.0, "test_lateral_cm": 0.2, INDEX: 0.3}, {"batch": 4, "loss": 1.0}]


def test_a_log_is_its_rows() -> None:
    log = TrainingLog(ROWS)
    assert len(log) == 4 and log[-1]["batch"] == 4 and log == ROWS and log == TrainingLog(ROWS)
    assert isinstance(log[1:], TrainingLog) and log[1:] == ROWS[1:]
    assert [row["loss"] for row in log] == [4.0, 3.0, 2.0, 1.0]
    log.append({"batch": 5, "loss": 0.5})
    assert len(log) == 5 and len(ROWS) == 4  # the log owns copies of its rows
    assert log.columns() == {"batch", "loss", "test_lateral_cm", INDEX}


def test_curves_by_name_raw_smoothed_measured_or_per_batch() -> None:
    log = TrainingLog(ROWS)
    batches, values = log.curve("loss")
    assert batches.tolist() == [1, 2, 3, 4] and values.tolist() == [4.0, 3.0, 2.0, 1.0]
    assert log.curve("test_lateral_cm").batches.tolist() == [1, 3]  # the evaluations only
    assert log.curve("loss", smooth=3).values.tolist() == pytest.approx([3.5, 3.0, 2.0, 1.5])  # centred
    per_batch = log.curve(INDEX, per="batch")
    assert per_batch.batches.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(per_batch.values, [0.1, np.nan, 0.3, np.nan])
    with pytest.raises(ValueError, match="channel_probe"):
        TrainingLog(ROWS[1:2]).curve(INDEX)
    with pytest.raises(ValueError, match="not smoothed"):
        log.curve(INDEX, smooth=3, per="batch")


def test_last_evaluation_is_the_last_row_with_test_set_numbers() -> None:
    assert TrainingLog(ROWS).last_evaluation()["batch"] == 3
    with pytest.raises(ValueError, match="no test-set evaluation"):
        TrainingLog([{"batch": 1, "loss": 1.0}]).last_evaluation()


def test_consecutive_runs_join_into_one_curve() -> None:
    (batches, values), which = TrainingLog.joined([TrainingLog(ROWS), TrainingLog(ROWS)], "test_lateral_cm", [4, 4])
    assert batches.tolist() == [1, 3, 5, 7] and values.tolist() == [0.5, 0.2, 0.5, 0.2]
    assert which.tolist() == [0, 0, 1, 1]


def test_evaluation_columns_name_the_metrics_as_the_log_does() -> None:
    metrics = {"endpoint_error_cm": 1.0, "lateral_deviation_cm": -0.5, "angle_at_peak_velocity_deg": 3.0,
               "mean_distance_cm": 4.0, "peak_speed_m_s": 0.3}
    assert evaluation_columns(metrics) == {"test_endpoint_error_cm": 1.0, "test_lateral_cm": -0.5,
                                           "test_angle_deg": 3.0, "test_distance_cm": 4.0}
    assert centred_average(np.array([1.0, 2.0]), 1).tolist() == [1.0, 2.0]
