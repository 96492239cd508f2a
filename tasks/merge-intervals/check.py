# Hidden tests: never shown to the model.


def check(candidate):
    assert candidate([]) == []
    assert candidate([[5, 5]]) == [[5, 5]]
    assert candidate([[1, 4], [0, 0]]) == [[0, 0], [1, 4]]
    assert candidate([[1, 4], [0, 4]]) == [[0, 4]]
    assert candidate([[1, 10], [2, 3], [4, 5]]) == [[1, 10]]
    assert candidate([[6, 8], [1, 9], [2, 4], [4, 7]]) == [[1, 9]]
    assert candidate([[-5, -1], [-3, 2], [3, 3], [10, 12], [11, 11]]) == [[-5, 2], [3, 3], [10, 12]]
    data = [[3, 4], [1, 2]]
    assert candidate(data) == [[1, 2], [3, 4]]
    big = [[i, i + 1] for i in range(0, 20000, 3)]
    assert candidate(list(reversed(big))) == big
