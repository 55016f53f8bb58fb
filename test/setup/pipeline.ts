/**
 * The pipeline service's stages (transformer, sinks), for the tests of libraries that run their
 * output through it: a package's tests reach the service through the test workspace, so no
 * package lists a service as a dependency and the workspace's dependency graph stays acyclic
 * (services/transformer → @orgpulse/connectors → each connector).
 */
export * from '@orgpulse/transformer'
