#!/usr/bin/python3
"""Runs a peer script with time.perf_counter replaced by time.process_time,
so that its ms/step figures are CPU milliseconds of the whole process (all
threads) instead of wall time: on a shared, loaded machine the CPU time is
the steadier measure. Usage: cputime.py SCRIPT [ARGS...]"""
import runpy
import sys
import time

time.perf_counter = time.process_time
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
