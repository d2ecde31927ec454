//! Random `<adjective>_<noun>` migration names, in the style of drizzle-kit's.

use rand::seq::IndexedRandom;

const ADJECTIVES: &[&str] = &[
    "amber", "ancient", "bitter", "bold", "brave", "bright", "brisk", "calm", "careful", "cheerful", "clever",
    "cold", "cosmic", "crimson", "curious", "daring", "dark", "eager", "early", "electric", "fancy", "fast",
    "fearless", "fierce", "flat", "gentle", "giant", "golden", "grand", "green", "happy", "hidden", "humble",
    "icy", "jolly", "keen", "kind", "late", "lazy", "little", "lively", "loud", "lucky", "mellow", "mighty",
    "misty", "modern", "narrow", "nervous", "nimble", "noble", "odd", "old", "orange", "plain", "polite",
    "proud", "quick", "quiet", "rapid", "rare", "red", "rich", "round", "rusty", "shiny", "silent", "silver",
    "simple", "sleepy", "slow", "smooth", "soft", "solid", "spicy", "steady", "stormy", "strong", "sunny",
    "swift", "tall", "tender", "tidy", "tiny", "vivid", "warm", "wild", "wise", "young", "zesty",
];

const NOUNS: &[&str] = &[
    "albatross", "anchor", "badger", "beacon", "bison", "blizzard", "cactus", "canyon", "comet", "condor",
    "coral", "cyclone", "dolphin", "dragon", "eagle", "ember", "falcon", "fjord", "fox", "galaxy", "geyser",
    "glacier", "griffin", "harbor", "hawk", "heron", "iguana", "island", "jaguar", "kestrel", "koala",
    "lagoon", "lantern", "lynx", "magnet", "meadow", "meteor", "moose", "nebula", "ocelot", "orbit", "otter",
    "panther", "pebble", "phoenix", "pilot", "prism", "quasar", "raven", "reef", "rocket", "sapphire",
    "sparrow", "sphinx", "storm", "summit", "tiger", "tornado", "tundra", "valley", "vortex", "walrus",
    "willow", "wolf", "yak", "zebra", "zephyr",
];

pub fn random_name() -> String {
    let mut rng = rand::rng();
    format!("{}_{}", ADJECTIVES.choose(&mut rng).unwrap_or(&"new"), NOUNS.choose(&mut rng).unwrap_or(&"migration"))
}
