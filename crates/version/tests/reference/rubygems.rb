# Reference comparisons for tests/differential.rs with Ruby's own RubyGems (Gem::Version):
# usage: ruby rubygems.rb PAIRS_FILE (same format and output as compare.py).
# A blank string is Gem::Version "0" in RubyGems but an error in crowsnest: it counts as
# invalid here.
ok = ->(v) { !v.strip.empty? && Gem::Version.correct?(v) }
out = File.readlines(ARGV[0], chomp: true).map do |line|
  a, b = line.split(' ').map { |h| [h[1..]].pack('H*').force_encoding('UTF-8') }
  va, vb = ok.(a), ok.(b)
  if va && vb
    (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
  else
    'E' + (va ? '' : 'a') + (vb ? '' : 'b')
  end
end
puts out
