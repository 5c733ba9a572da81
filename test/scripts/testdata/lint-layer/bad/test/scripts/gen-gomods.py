#!/usr/bin/env python3
# Fixture stand-in for gen-gomods.py --stdout: the licenses file is stale, and
# recipes-x/demo/old-go-mods.inc is not generated at all.
print("### meta-parsec/recipes-parsec/parsec-service/parsec-service-go-mods.inc")
print('# mods\nSRC_URI += "gomod://golang.org/x/sys;version=v0.50.0;sha256sum=00"')
print("### meta-parsec/recipes-parsec/parsec-service/parsec-service-licenses.inc")
print('# licenses\nLICENSE += "& BSD-3-Clause & MIT"')
