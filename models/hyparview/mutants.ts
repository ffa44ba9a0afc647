// Realistic bugs the mutation suite injects into the reference node, to prove the checker
// and the properties catch them. The node consults `isMutant` at exactly these points.

export const MUTANTS = {
  'evict-without-disconnect': 'a full active view evicts a member without sending it DISCONNECT',
  'accept-low-when-full': 'a LOW NEIGHBOR is accepted when the active view is already full (off-by-one in the free-slot test)',
  'active-keeps-passive': 'adding a peer to the active view leaves it in the passive view',
  'ignore-link-down': 'a broken connection to an active member is ignored, so a failed peer stays in the active view',
  'merge-self-into-passive': 'shuffle merging does not skip the node itself',
  'merge-active-into-passive': 'shuffle merging does not skip ids already in the active view',
  'passive-capacity-off-by-one': 'the passive view admits one id more than its capacity',
  'disconnect-keeps-active': 'DISCONNECT adds the sender to the passive view without removing it from the active view',
  'reject-read-as-accept': 'the requester treats NEIGHBOR_REPLY(reject) as an acceptance',
  'accept-without-reply': 'an accepted NEIGHBOR request gets no reply, so the requester times out and gives up',
  'join-without-evict': 'a JOIN to a full node is added without evicting anyone',
  'high-priority-read-as-low': 'a HIGH NEIGHBOR is rejected when the active view is full, so a node that lost every neighbour can stay isolated',
  'neighbor-without-timeout': 'a NEIGHBOR request is sent without arming its timeout, so a request nobody answers is waited on forever',
  'retry-dead-candidate': 'a candidate whose connection failed stays untried in its refill round, so the node asks the dead peer again at once, forever',
  'retry-rejecting-peer': 'a candidate that rejected the request stays untried in its refill round, so the node asks the same full peer again at once, forever',
  'forward-join-ttl-twice': 'a relayed FORWARD_JOIN has its ttl decremented twice per hop, so walks end too early',
  'forward-join-ttl-never-decremented': 'a relayed FORWARD_JOIN keeps the ttl it arrived with, so a walk only ends where it cannot go on and the passive insertion at PRWL never happens',
  'passive-at-wrong-hop': 'a relayed FORWARD_JOIN puts the new node in the passive view at ttl ARWL (the first hop) instead of PRWL',
  'shuffle-reply-to-sender': 'a SHUFFLE_REPLY goes to the node the SHUFFLE came from (its last hop) instead of its origin',
  'refill-low-when-full': 'the refill asks a passive peer with LOW priority even when the active view is already full (off-by-one in the full test)',
  'high-priority-too-early': 'a refill asks with HIGH priority while the node still has one neighbour',
  'shuffle-ttl-never-decremented': 'a relayed SHUFFLE keeps the ttl it arrived with, so the walk only ends where it cannot go on',
} as const;

export type MutantName = keyof typeof MUTANTS;
