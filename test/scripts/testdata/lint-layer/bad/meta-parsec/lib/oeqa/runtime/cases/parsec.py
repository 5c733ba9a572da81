class ParsecTest(object)
    pass
