/* cluster_lease: the notifier lease -- which one hub of the cluster sends the webhooks.
 * See cluster.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_internal.h"

/* The notifier lease: a key in a KeyValue bucket whose entries live LEASE_TTL_MS. The holder
 * renews it every second (an update that names its last revision); any other hub creates it
 * once it has expired. Consumer thread (the requests wait on NATS, never the service thread). */
#define LEASE_TTL_MS 3000
#define LEASE_EVERY_MS 1000

void cl_lease_step(cluster_t *c)
{
    int64_t now = cwt_mono_ms();
    if (!c->kv || now < c->lease_next_ms) return;
    c->lease_next_ms = now + LEASE_EVERY_MS;
    uint64_t rev = 0;
    natsStatus s = c->lease_rev
                       ? kvStore_UpdateString(&rev, c->kv, "notifier", c->hub_id, c->lease_rev)
                       : kvStore_CreateString(&rev, c->kv, "notifier", c->hub_id);
    c->lease_rev = s == NATS_OK ? rev : 0;
    atomic_store(&c->notifier, c->lease_rev != 0);
}

void cl_lease_release(cluster_t *c)
{
    if (c->kv && c->lease_rev) kvStore_Delete(c->kv, "notifier"); /* the next takes over now */
    c->lease_rev = 0;
    atomic_store(&c->notifier, false);
}

void cl_lease_open(cluster_t *c)
{
    const cfg_cluster *cc = &c->hub->cfg->cluster;
    char bucket[96];
    snprintf(bucket, sizeof bucket, "%s_LEASE", cc->stream);
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = bucket;
    kc.History = 1;
    kc.TTL = (int64_t)LEASE_TTL_MS * 1000 * 1000;
    kc.Replicas = cc->replicas;
    kc.StorageType = js_MemoryStorage;
    if (js_CreateKeyValue(&c->kv, c->js, &kc) != NATS_OK &&
        js_KeyValue(&c->kv, c->js, bucket) != NATS_OK) {
        c->kv = NULL;
        fprintf(stderr,
                "citywall-hub: cluster: no lease bucket %s (%s): this hub sends no "
                "webhooks\n",
                bucket, nats_GetLastError(NULL));
    }
}
