import numpy as np
import pytest

from models.evaluation import accuracy, binary_f1, macro_f1, pearson_r, roc_auc


def test_accuracy_and_macro_f1():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2])
    assert accuracy(y_true, y_pred) == pytest.approx(0.8)
    # F1: class 0 = 2/3, class 1 = 0.8, class 2 = 1.0
    assert macro_f1(y_true, y_pred, 3) == pytest.approx((2 / 3 + 0.8 + 1.0) / 3)


def test_binary_f1():
    assert binary_f1(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0])) == pytest.approx(0.5)
    assert binary_f1(np.array([0, 0]), np.array([0, 0])) == 0.0


def test_pearson_r():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert pearson_r(x, 2 * x + 1) == pytest.approx(1.0)
    assert pearson_r(x, -x) == pytest.approx(-1.0)
    assert pearson_r(x, np.ones(4)) == 0.0


def test_roc_auc_with_ties_and_extremes():
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert roc_auc(np.array([0, 1, 1]), np.array([0.5, 0.5, 0.9])) == pytest.approx(0.75)
    assert roc_auc(np.array([0, 1]), np.array([0.9, 0.1])) == 0.0
    assert np.isnan(roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))
