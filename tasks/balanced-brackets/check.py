# Hidden tests: never shown to the model.


def check(candidate):
    assert candidate("()") is True
    assert candidate(")(") is False
    assert candidate("(((") is False
    assert candidate(")))") is False
    assert candidate("{[()()]}") is True
    assert candidate("{[(])}") is False
    assert candidate("x = f(a[i], {k: v})") is True
    assert candidate("]") is False
    assert candidate("no brackets at all") is True
    assert candidate("(" * 5000 + ")" * 5000) is True
    assert candidate("(" * 5000 + ")" * 4999) is False
