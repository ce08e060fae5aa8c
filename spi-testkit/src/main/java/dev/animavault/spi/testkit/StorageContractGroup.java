package dev.animavault.spi.testkit;

import dev.animavault.spi.storage.StorageBackend;

/**
 * What every group of the storage contract reads: the running {@link StorageBackendContract} (which opens the
 * backend before each test and closes it after), its backend and the test's random organization ids and record
 * namespace. A group is an interface of {@code @Test} default methods that {@link StorageBackendContract}
 * implements, so a plugin's test that extends the contract runs every group against its backend, reported under
 * the plugin's own test class.
 */
interface StorageContractGroup {

    /** The contract instance running the test: its backend, ids and behaviour flags. */
    StorageBackendContract contract();

    /** The backend under test, opened before each test. */
    default StorageBackend backend() {
        return contract().backend;
    }

    /** An organization id unique to the running test. */
    default String org() {
        return contract().org;
    }

    /** A second organization id unique to the running test. */
    default String otherOrg() {
        return contract().otherOrg;
    }

    /** A record namespace unique to the running test. */
    default String namespace() {
        return contract().namespace;
    }
}
