<?php
// Reference comparisons for tests/differential.rs with Debian's php-composer-semver:
// usage: php composer.php PAIRS_FILE (same format and output as compare.py).
// A version is VersionParser::normalize()d (named branches and aliases count as invalid),
// then the two are ordered with PHP's version_compare, as Composer\Semver\Comparator does.
require_once '/usr/share/php/Composer/Semver/autoload.php';

use Composer\Semver\VersionParser;

$parser = new VersionParser();
function norm($parser, $v) {
    if (preg_match('{\s}', trim($v)) || strpos($v, ',') !== false) {
        return null; // aliases and lists are not single versions
    }
    try {
        $n = $parser->normalize($v);
    } catch (\UnexpectedValueException $e) {
        return null;
    }
    if (stripos($n, 'dev-') === 0) {
        return null; // named branches have no order
    }
    return $n;
}
$out = '';
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $line) {
    list($a, $b) = explode(' ', $line);
    $a = hex2bin(substr($a, 1));
    $b = hex2bin(substr($b, 1));
    $na = norm($parser, $a);
    $nb = norm($parser, $b);
    if ($na === null || $nb === null) {
        $out .= 'E' . ($na === null ? 'a' : '') . ($nb === null ? 'b' : '') . "\n";
    } else {
        $out .= version_compare($na, $nb) . "\n";
    }
}
echo $out;
